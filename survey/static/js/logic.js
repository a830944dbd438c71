// Display logic in place: a question whose condition (data-show-if, JsonLogic as in
// survey/authoring/logic.py) reads answers is shown or hidden as the customer answers. An answer is read
// from the fields named "q-" + its answer key (a matrix statement's "q-<matrix>.<statement>", a rating).
// The server decides again when the answers are sent, so this only spares the customer questions that do
// not apply; without JavaScript they are shown and an answer to one that does not apply is not kept.
(function () {
  "use strict";
  var form = document.querySelector("form.survey-form[data-logic]");
  if (!form) { return; }
  var data = JSON.parse(form.getAttribute("data-logic"));
  var types = data.types || {};

  function answer(key) {
    var type = types[key];
    var values = [];
    var fields = form.elements;
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.name !== "q-" + key || field.disabled) { continue; }
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { continue; }
      if (field.value.trim() !== "") { values.push(field.value.trim()); }
    }
    if (!values.length) { return null; }
    if (type === "multi") { return values; }
    if (type === "rating" || type === "nps") { return Number(values[0]); }
    if (type === "numeric") { return number(values[0]); }
    return values[0];
  }

  // A number as the server reads it (submission.typed_answer): spaces dropped, one decimal comma or dot,
  // never a thousands separator; anything else is no answer yet (the server will say what is wrong).
  function number(text) {
    var cleaned = text.replace(/[\s\u00a0\u202f]+/g, "");
    if (cleaned.indexOf(",") !== -1 && cleaned.indexOf(".") === -1 && cleaned.split(",").length === 2) {
      cleaned = cleaned.replace(",", ".");
    }
    if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?$/.test(cleaned)) { return null; }
    return Number(cleaned);
  }

  function lookup(name) {
    if (Array.isArray(name)) { name = name[0]; }
    if (typeof name !== "string") { return null; }
    var dot = name.indexOf(".");
    var scope = name.slice(0, dot), key = name.slice(dot + 1);
    var value = scope === "answers" ? answer(key) : scope === "contact" ? (data.contact || {})[key] : null;
    return value === undefined || value === "" ? null : value;
  }

  function truthy(value) {
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  }

  function isNumber(value) { return typeof value === "number"; }

  function compare(op, a, b) {
    if (op === "==") { return typeof a === typeof b && a === b; }
    if (op === "!=") { return !compare("==", a, b); }
    if (!isNumber(a) || !isNumber(b)) { return false; }
    return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
  }

  function value(node) {
    if (Array.isArray(node)) { return node.map(value); }
    if (node === null || typeof node !== "object") { return node; }
    var op = Object.keys(node)[0];
    var args = node[op];
    if (op === "var") { return lookup(args); }
    if (!Array.isArray(args)) { args = [args]; }
    var i, result;
    if (op === "and") {
      result = true;
      for (i = 0; i < args.length; i++) { result = value(args[i]); if (!truthy(result)) { return result; } }
      return result;
    }
    if (op === "or") {
      result = false;
      for (i = 0; i < args.length; i++) { result = value(args[i]); if (truthy(result)) { return result; } }
      return result;
    }
    var v = args.map(value);
    if (op === "!") { return !truthy(v[0]); }
    if (op === "!!") { return truthy(v[0]); }
    if (op === "in") {
      if (Array.isArray(v[1])) { return v[1].indexOf(v[0]) !== -1; }
      return typeof v[1] === "string" && typeof v[0] === "string" && v[1].indexOf(v[0]) !== -1;
    }
    if (v.length === 3) { return compare(op, v[0], v[1]) && compare(op, v[1], v[2]); }
    return compare(op, v[0], v[1]);
  }

  var conditional = Array.prototype.slice.call(document.querySelectorAll("[data-show-if]"));

  function update() {
    // In order, so a question hidden a moment ago reads as unanswered for the ones after it.
    conditional.forEach(function (element) {
      var shown = truthy(value(JSON.parse(element.getAttribute("data-show-if"))));
      element.hidden = !shown;
      // A hidden question's inputs are disabled: they are not sent, and keep what was typed if it returns.
      Array.prototype.forEach.call(element.querySelectorAll("input, textarea, select"), function (input) {
        input.disabled = !shown;
      });
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
}());
