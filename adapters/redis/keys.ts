/**
 * The Redis key layout: every key the Redis store writes, in one table.
 *
 * Keys are laid out for Redis Cluster from the start. The configured `keyPrefix` (P below, which
 * cannot hold braces) is applied here, not by ioredis, so the hash tags below are part of the key
 * Redis sees: `guestpass:model:Session:abc`, `guestpass:{outbox}:due`. Each atomic step
 * is one Lua script on one key, or on keys that share the hash tag `{outbox}` and so one slot.
 * Where a step spans slots (an oidc entry and its indexes, a person and their indexes, a link
 * and its indexes) it is a sequence of single-key commands on a Cluster, ordered so that a crash
 * half-way leaves nothing unsafe; on a single server or Sentinel, where one script may span any
 * keys, the hot ones are one script instead (`gpUpsertModel`, and `spanning_scripts.ts`: the
 * limits of each sign-in form, consuming a code with its reset, creating a person).
 *
 *   key (after P)                     type    TTL                            purpose
 *   P model:<Model>:<id>              hash    expiresIn of the entry         oidc-provider entry: `payload` (JSON) and, once consumed, `consumed` (epoch s)
 *   P grant:<grantId>                 set     longest member                 "<Model>:<id>" of every token and code of a grant (revokeByGrantId)
 *   P account:<accountId>             set     longest member                 "Session:<id>" / "Grant:<id>" of an account (findModelsByAccount)
 *   P uid:<uid>                       string  the session's                  session id for a session uid
 *   P userCode:<userCode>             string  the entry's                    entry id for a device-flow user code
 *   P record:<namespace>:<id>         string  ttlSeconds                     small JSON record
 *   P code:<interactionUid>           hash    ttlSeconds                     the current one-time code (codeId, email, digest, issuedAt, expiresAt, attempts)
 *   P counter:<key>                   hash    the window's length            {count, resetAt}: rate-limit and lockout counter
 *   P slot:<key>                      string  ttlSeconds                     held-until (ms): single-holder slot (cooldown, lockout)
 *   P{outbox}:due                     zset    longest mail                   mail id → epoch ms of its next attempt (or end of its lease)
 *   P{outbox}:mail:<id>               hash    notAfter + 1 day; 1 day once   one queued mail; the sealed body goes when it is sent or dropped
 *                                             sent or dropped
 *   P person:<id>                     string  none (durable)                 a person (JSON with its `version`)
 *   P person-email:<emailNormalized>  string  none (durable)                 id of the person with the address (unique index)
 *   P person-identity:<["iss","sub"]> string  none (durable)                 id of the person who holds (or is linking) the federated
 *                                                                            identity; the key ends in JSON [issuer, subject] (unique index)
 *   P person-deleted:<emailNormalized> string none (durable)                 id of the person deleted with the address (the deletion
 *                                                                            mark); creating a person for the address removes it
 *   P people:by-email                 zset    none (durable)                 "<emailNormalized>\0<id>", every score 0: every person in
 *                                                                            address order (ZRANGEBYLEX), for the directory list
 *   P settings                        string  none (durable)                 the runtime policy: JSON {version, value, updatedAt}
 *   P keyring                         string  none (durable)                 the managed keys, sealed: JSON {version, sealed, updatedAt}
 *   P link:<id>                       string  none (durable)                 a secure link (JSON with its `version`)
 *   P links:all                       zset    none (durable)                 link id → createdAt: every link, for lists and the sharing report
 *   P links:client:<clientId>         zset    none (durable)                 link id → createdAt: the links a client owns
 *   P links:recipient:<email>         zset    none (durable)                 link id → version of the link that (last) added the normalised
 *                                                                            address: the links a person is a recipient of
 *   P links:checks                    zset    none (durable)                 link id → epoch ms when the link must next be checked (its
 *                                                                            expiry, at once after someone lost access) or its lease ends
 *   P link-grants:<id>                zset    longest member                 grant id → epoch ms when the entry expires (with the grant):
 *                                                                            the grants issued for the link, revoked when access ends
 *   P clients:all                     zset    none (durable)                 every score 0: the ids of the dynamically registered clients
 *                                                                            (model:Client:<id>), in byte order, for the clients list
 *   P audit                           stream  none (durable; trimAudit)      the audit log, one JSON field `event` per entry; ids
 *                                                                            `<event time ms>-<seq>` (after the last id when that is later)
 *   P audit-by:{P audit}:term:<term>  zset    none (durable; trimAudit)      the ids (`auditIndexMember`, score 0) of the events with the
 *                                                                            term `operation:…`, `sharingId:…`, `email:…`, `clientId:…`
 *   P audit-by:{P audit}:indexes      zset    none (durable; trimAudit)      index key → ms of its newest id: every index, for trimAudit
 *   P audit-by:{P audit}:start        string  none (durable)                 the first id appended with indexes (older ones, from
 *                                                                            before indexes existed, are found by reading the stream)
 *
 * People, links, the settings, the keyring and the audit log are the only durable keys: they are the
 * directory (with the marks of deleted addresses, which must outlive the person they name), what
 * is shared with whom, the policy, and the record of what happened; a person goes with
 * `deletePerson`, a link with `deleteLink`, the audit log is trimmed by age with `trimAudit`.
 * The queue of link checks is durable too (an expiry years ahead must not be forgotten); an
 * entry goes when its check finds nothing left to check (`finishLinkCheck`).
 * The one other exception is an oidc entry that oidc-provider saves without `expiresIn` (a
 * dynamically registered Client, an initial or registration access token): it keeps no TTL, as
 * in the in-memory store, and so do its index entries.
 *
 * Threats this layout answers: parallel requests on two instances must not both consume a code
 * or win a slot (one script per step), a crash between two writes must not leave a token that
 * revocation cannot find (indexes are written before the entry), nor wedge an address (a dangling
 * address index is reused) or give a deleted person's `sub` to the next person with the address,
 * nor let two people hold one federated identity; and a Redis outage must fail requests fast
 * and closed (no offline queue; every error that is not a reply becomes `StoreUnavailableError`).
 */
import type { FederatedIdentity } from '../store/people.ts';
import { identityKey } from '../shared/people.ts';

/** Every key of the table above, by name; the only place that spells a key. */
export class RedisKeys {
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  #key(...parts: string[]): string {
    return this.#prefix + parts.join(':');
  }

  model(model: string, id: string): string {
    return this.#key('model', model, id);
  }

  /** The entry a grant's or an account's index names by its member, `"<Model>:<id>"`. */
  modelOfMember(member: string): string {
    return this.#key('model', member);
  }

  grant(grantId: string): string {
    return this.#key('grant', grantId);
  }

  account(accountId: string): string {
    return this.#key('account', accountId);
  }

  uid(uid: string): string {
    return this.#key('uid', uid);
  }

  userCode(userCode: string): string {
    return this.#key('userCode', userCode);
  }

  record(namespace: string, id: string): string {
    return this.#key('record', namespace, id);
  }

  code(interactionUid: string): string {
    return this.#key('code', interactionUid);
  }

  counter(key: string): string {
    return this.#key('counter', key);
  }

  slot(key: string): string {
    return this.#key('slot', key);
  }

  outboxDue(): string {
    return `${this.#prefix}{outbox}:due`;
  }

  /** With no id: the prefix the claiming script puts before each id it reads from the due set. */
  outboxMail(id = ''): string {
    return `${this.#prefix}{outbox}:mail:${id}`;
  }

  person(id: string): string {
    return this.#key('person', id);
  }

  personEmail(emailNormalized: string): string {
    return this.#key('person-email', emailNormalized);
  }

  /** `person-identity:["https://login.example.com","sub-1"]`. */
  personIdentity(identity: FederatedIdentity): string {
    return this.#key('person-identity', identityKey(identity));
  }

  personDeleted(emailNormalized: string): string {
    return this.#key('person-deleted', emailNormalized);
  }

  peopleByEmail(): string {
    return this.#key('people', 'by-email');
  }

  settings(): string {
    return this.#key('settings');
  }

  keyring(): string {
    return this.#key('keyring');
  }

  link(id: string): string {
    return this.#key('link', id);
  }

  linksAll(): string {
    return this.#key('links', 'all');
  }

  linksOfClient(clientId: string): string {
    return this.#key('links', 'client', clientId);
  }

  clientsAll(): string {
    return this.#key('clients', 'all');
  }

  linksOfRecipient(emailNormalized: string): string {
    return this.#key('links', 'recipient', emailNormalized);
  }

  linkChecks(): string {
    return this.#key('links', 'checks');
  }

  linkGrants(sharingId: string): string {
    return this.#key('link-grants', sharingId);
  }

  audit(): string {
    return this.#key('audit');
  }

  /** Before a term: the audit index of the term. The hash tag is the stream's whole name, so every audit key shares its slot. */
  auditIndexPrefix(): string {
    return `${this.#prefix}audit-by:{${this.audit()}}:`;
  }

  auditIndex(term: string): string {
    return this.auditIndexPrefix() + 'term:' + term;
  }

  auditIndexRegistry(): string {
    return this.auditIndexPrefix() + 'indexes';
  }

  auditIndexStart(): string {
    return this.auditIndexPrefix() + 'start';
  }
}
