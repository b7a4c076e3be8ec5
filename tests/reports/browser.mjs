// The report page's script, run as a browser runs it: the page's form and status as the
// served HTML holds them, fetch against the live gateway, a click on the button.
// argv: base URL, script path, page dataset (JSON), email, password. Prints what the person
// sees and where the browser went.
const [base, scriptPath, dataset, email, password] = process.argv.slice(2);
const realFetch = globalThis.fetch;
globalThis.fetch = (url, options) => realFetch(new URL(url, base), options);
let submit = null;
let went = null;
const button = { disabled: false };
const form = {
  hidden: true,
  dataset: JSON.parse(dataset),
  email: { value: email },
  password: { value: password },
  querySelector: () => button,
  addEventListener: (type, handler) => { if (type === "submit") submit = handler; },
};
const status = { textContent: "" };
globalThis.document = { getElementById: (id) => ({ "sign-in": form, status })[id] };
globalThis.window = { location: { assign: (url) => { went = url; } } };
const source = await (await realFetch(new URL(scriptPath, base))).text();
new Function(source)();
await submit({ preventDefault() {} });
console.log(JSON.stringify({ shown: status.textContent, went, visible: !form.hidden,
  password_left: form.password.value }));
