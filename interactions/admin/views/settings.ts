/** The settings page: the sharing policy as a form, each field with its range, the API's messages when a value is refused. */
import { html, type SafeHtml } from '../../../src/html.ts';
import type { SettingsField, SettingsValues } from '../settings_form.ts';
import { csrfField, time } from './common.ts';
import { consoleLayout, type ConsoleFrame } from './layout.ts';

export interface SettingsForm {
  fields: SettingsField[];
  values: SettingsValues;
  version: number;
  /** The policy the form was filled from, as JSON: a later save says what others changed since. */
  base: string;
  updatedAt?: number | undefined;
  /** Field name → what is wrong with it. */
  problems: Record<string, string>;
  editable: boolean;
  csrf: string;
}

export function settingsPage(frame: Omit<ConsoleFrame, 'title'>, form: SettingsForm, changedMeanwhile?: [string, string, string][]): string {
  const disabled = form.editable ? '' : html` disabled`;
  const described = (field: SettingsField, extra = '') => `${field.name}-hint${form.problems[field.name] ? ` ${field.name}-problem` : ''}${extra}`;
  const problem = (name: string) => (form.problems[name] ? html`<p class="problem" id="${name}-problem">${form.problems[name]}</p>` : '');
  const input = (field: SettingsField): SafeHtml => {
    const hint = html`<p class="hint" id="${field.name}-hint">${describe(field.description)}</p>`;
    if (field.kind === 'choice') {
      return html`<div class="field"><label for="${field.name}">${field.label}</label><select id="${field.name}" name="${field.name}" aria-describedby="${described(field)}"${disabled}>${(field.choices ?? []).map((choice) => html`<option${form.values[field.name] === choice ? html` selected` : ''}>${choice}</option>`)}</select>${hint}${problem(field.name)}</div>`;
    }
    if (field.kind === 'domains') {
      const mode = form.values['domains.mode'] ?? 'any';
      const radio = (value: string, label: string) =>
        html`<div class="check"><input type="radio" id="domains-${value}" name="domains.mode" value="${value}"${mode === value ? html` checked` : ''}${disabled}><label for="domains-${value}">${label}</label></div>`;
      return html`<fieldset class="field" aria-describedby="${described(field)}"><legend>${field.label}</legend>
${radio('any', 'Any domain')}${radio('allow', 'Only these domains')}${radio('block', 'Every domain but these')}
<label for="domains.list">Domains, one per line</label><textarea id="domains.list" name="domains.list" rows="3"${form.problems.domains ? html` aria-invalid="true"` : ''}${disabled}>${form.values['domains.list'] ?? ''}</textarea>
${hint}${problem(field.name)}</fieldset>`;
    }
    const range = field.minimum !== undefined && field.maximum !== undefined ? html` min="${field.minimum}" max="${field.maximum}"` : '';
    return html`<div class="field"><label for="${field.name}">${field.label}</label><input id="${field.name}" name="${field.name}" type="number" inputmode="numeric" step="1"${range}${field.kind === 'integer' ? html` required` : ''} value="${form.values[field.name] ?? ''}" aria-describedby="${described(field)}"${form.problems[field.name] ? html` aria-invalid="true"` : ''}${disabled}>${hint}${problem(field.name)}</div>`;
  };
  const problems = Object.entries(form.problems);
  return consoleLayout(
    {
      ...frame,
      title: 'Settings',
      section: '/admin/settings',
      notice: changedMeanwhile
        ? {
            kind: 'error',
            text: html`Someone changed the settings after you opened this page, so nothing was saved. What changed meanwhile:
<ul>${changedMeanwhile.map(([label, before, after]) => html`<li>${label}: ${before} → ${after}</li>`)}</ul>Your entries are below; save again to apply them over the new settings.`,
          }
        : problems.length > 0
          ? { kind: 'error', text: html`The settings were not saved:<ul>${problems.map(([name, text]) => html`<li><a href="#${name === 'domains' ? 'domains.list' : name}">${text}</a></li>`)}</ul>` }
          : frame.notice,
    },
    html`<p>The sharing policy. A change applies at once, on every instance${form.updatedAt ? html`; last changed ${time(form.updatedAt)}` : ''} (version ${form.version}).</p>
<form method="post" action="/admin/settings" class="settings">${csrfField(form.csrf)}
<input type="hidden" name="version" value="${form.version}"><input type="hidden" name="base" value="${form.base}">
<fieldset><legend>Emailed codes</legend>${form.fields.filter((field) => field.name.startsWith('otp.')).map(input)}</fieldset>
<fieldset><legend>Sharing</legend>${form.fields.filter((field) => !field.name.startsWith('otp.')).map(input)}</fieldset>
${form.editable ? html`<button type="submit">Save the settings</button>` : html`<p class="hint">You are an auditor: you can see the settings but not change them.</p>`}
</form>`,
  );
}

/** The schema's descriptions are Markdown-ish: `code` spans become <code>, everything else stays text. */
function describe(text: string): SafeHtml {
  return html`${text.split('`').map((part, index) => (index % 2 === 1 ? html`<code>${part}</code>` : part))}`;
}
