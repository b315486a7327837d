// The page's confirmation dialog: every action on a workflow goes through it, so nothing
// changes a run without a second, deliberate click.

import { errorText, fill, h } from "./dom.js";

/**
 * Ask for confirmation in a modal dialog and run `action` on confirm.
 *
 * @param {object} options
 * @param {string} options.title the dialog's heading ("Terminate order-123?")
 * @param {string} options.message what the action does
 * @param {Array<{name, label, value?, multiline?, placeholder?}>} options.fields inputs the action reads
 * @param {string} options.confirm the confirm button's text ("Terminate")
 * @param {boolean} options.danger whether the action cannot be undone (red button)
 * @param {(values: object) => Promise<any>} options.action the call; its answer, if it returns
 *   one, is shown in the dialog (`show` turns it into nodes) and the dialog stays open
 * @returns {Promise<boolean>} whether the action ran and succeeded
 */
export function confirmAction({ title, message, fields = [], confirm, danger = false, action, show = null }) {
  return new Promise((resolve) => {
    let succeeded = false;
    const inputs = {};
    const status = h("div", { class: "dialog-status", "aria-live": "polite" });
    const form = h(
      "form",
      { method: "dialog", class: "dialog-form" },
      h("h2", { id: "dialog-title" }, title),
      message ? h("p", {}, message) : null,
      fields.map((field) => {
        const id = `dialog-field-${field.name}`;
        const input = field.multiline
          ? h("textarea", { id, name: field.name, rows: 3, placeholder: field.placeholder })
          : h("input", { id, name: field.name, type: "text", placeholder: field.placeholder, autocomplete: "off" });
        input.value = field.value ?? "";
        inputs[field.name] = input;
        return h("div", { class: "field" }, h("label", { for: id }, field.label), input, field.hint ? h("small", {}, field.hint) : null);
      }),
      status,
    );
    const ok = h("button", { type: "submit", class: danger ? "danger" : "primary" }, confirm);
    const cancel = h("button", { type: "button" }, "Close");
    form.append(h("div", { class: "dialog-buttons" }, cancel, ok));
    const dialog = h("dialog", { "aria-labelledby": "dialog-title", class: "dialog" }, form);
    document.body.append(dialog);

    const done = () => {
      dialog.close();
      dialog.remove();
      resolve(succeeded);
    };
    cancel.addEventListener("click", done);
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
      ok.disabled = true;
      fill(status, h("p", { class: "muted" }, "Sending…"));
      try {
        const answer = await action(values);
        succeeded = true;
        if (show && answer !== undefined) {
          fill(status, show(answer));
          ok.disabled = false;
        } else {
          done();
        }
      } catch (error) {
        fill(status, h("div", { class: "error", role: "alert" }, errorText(error)));
        ok.disabled = false;
      }
    });
    dialog.showModal();
    (Object.values(inputs)[0] ?? ok).focus();
  });
}
