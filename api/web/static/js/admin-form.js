/* Admin forms: a refusal's field errors shown per field, in the page's language. The API names
 * the field and says what is wrong in English; the page gives the field's label and a hint of
 * what it accepts (admin.hint.<form>.<field>), and keeps the API's words in the title. */
(function () {
  "use strict";
  const { h, t } = GF;

  function label(form, field) {
    const key = `admin.${form}.field.${field}`;
    return t(key) === key ? field : t(key);
  }

  function hint(form, field) {
    const key = `admin.hint.${form}.${field}`;
    return t(key) === key ? "" : t(key);
  }

  function showErrors(box, form, err) {
    const d = err instanceof GF.ApiError ? err.detail : null;
    const fields = d && Array.isArray(d.fields) ? d.fields : [];
    if (fields.length) {
      box.replaceChildren(...fields.map((f) => {
        const name = String(f.field).split(".")[0];
        return h("div", { dataset: { field: name }, title: f.message },
          label(form, name) + "：" + (hint(form, name) || f.message));
      }));
    } else {
      box.replaceChildren(h("div", null, GF.errorText(err)));
    }
    box.hidden = false;
  }

  function list(text) {
    return String(text || "").split(/[\s,，、;；]+/).map((s) => s.trim()).filter(Boolean);
  }

  window.AdminForm = { showErrors, list };
})();
