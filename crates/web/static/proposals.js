// The proposal editor (form[data-proposal-editor], /proposals/new and a draft's page): rows of
// items added and removed, and each line's net amount and the totals kept current as the user
// types, by the server's rule (domain::proposals::lines): a line's net is quantity × unit
// price × (1 − discount / 100) rounded to the cent, half away from zero; its tax is the net ×
// rate / 100, rounded the same way; the totals are the sums of the rounded figures. Computed
// in whole numbers (BigInt), so that no float rounds a cent the other way; the server's
// figures are authoritative once saved. Also: button[data-copy] copies the text of the field
// it names (the public link). Written for this project.
"use strict";

(function () {
  const locale = document.body.dataset.locale || document.documentElement.lang || "es";
  const point = locale.startsWith("es") ? "," : ".";
  const grouping = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });

  // A decimal as typed ("9,995" or "9.995") scaled to a whole number of 10^-places, or null
  // when it is not a plain decimal with at most `places` decimals.
  function scaled(raw, places) {
    let text = String(raw || "").trim();
    if (text.includes(",") && !text.includes(".") && text.split(",").length === 2) {
      text = text.replace(",", ".");
    }
    const shape = new RegExp(`^(\\d{1,12})(?:\\.(\\d{1,${places}}))?$`);
    const m = shape.exec(text);
    if (!m) return null;
    return BigInt(m[1] + (m[2] || "").padEnd(places, "0"));
  }

  // a / b rounded half away from zero, for a >= 0 and b > 0.
  function roundDiv(a, b) {
    return (2n * a + b) / (2n * b);
  }

  // Cents as the console writes money: "12.500,50 EUR", whole amounts without decimals.
  function money(cents, currency) {
    const whole = cents / 100n;
    const rest = cents % 100n;
    let text = grouping.format(whole);
    if (rest > 0n) text += point + String(rest).padStart(2, "0");
    return `${text} ${currency}`;
  }

  // A row's figures in cents, or null while it is not complete.
  function lineOf(row) {
    const value = (member) => row.querySelector(`[data-item="${member}"]`)?.value ?? "";
    if (!value("description").trim()) return null;
    const quantity = scaled(value("quantity"), 3);
    const price = scaled(value("unit_price"), 3);
    const discount = value("discount_percentage").trim() ? scaled(value("discount_percentage"), 2) : 0n;
    const rate = value("tax_rate").trim() ? scaled(value("tax_rate"), 2) : 0n;
    if (quantity === null || price === null || discount === null || rate === null) return null;
    if (quantity === 0n || discount > 10000n || rate > 10000n) return null;
    const net = roundDiv(quantity * price * (10000n - discount), 100000000n);
    const tax = roundDiv(net * rate, 10000n);
    return { net, tax };
  }

  function recompute(form) {
    const currency = form.querySelector("[data-proposal-currency]")?.value || "";
    let subtotal = 0n;
    let taxTotal = 0n;
    form.querySelectorAll("tr[data-item-row]").forEach((row) => {
      const line = lineOf(row);
      const cell = row.querySelector("[data-line-net]");
      if (cell) cell.textContent = line ? money(line.net, currency) : "–";
      if (line) {
        subtotal += line.net;
        taxTotal += line.tax;
      }
    });
    const show = (name, cents) => {
      const el = form.querySelector(`[data-total="${name}"]`);
      if (el) el.textContent = money(cents, currency);
    };
    show("subtotal", subtotal);
    show("tax_total", taxTotal);
    show("total", subtotal + taxTotal);
  }

  // A new row: a copy of the last one, emptied, under the next free index.
  function addRow(form) {
    const rows = form.querySelectorAll("tr[data-item-row]");
    const count = form.querySelector("[data-item-rows]");
    if (!rows.length || !count) return;
    const index = Number(count.value) || rows.length;
    const row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll(".invalid-feedback").forEach((el) => el.remove());
    row.querySelectorAll("input").forEach((input) => {
      const member = input.dataset.item;
      input.value = "";
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-describedby");
      input.id = `item-${index}-${member}`;
      input.name = `item-${index}-${member}`;
      input.setAttribute("aria-label", `${input.dataset.label} (${index + 1})`);
    });
    const remove = row.querySelector("[data-remove-item]");
    if (remove) remove.setAttribute("aria-label", `${remove.dataset.label} (${index + 1})`);
    rows[rows.length - 1].after(row);
    count.value = String(index + 1);
    row.querySelector('[data-item="description"]')?.focus();
    recompute(form);
  }

  // A row removed; the last one left is emptied instead, so that there is always one to copy.
  function removeRow(form, row) {
    if (form.querySelectorAll("tr[data-item-row]").length > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input").forEach((input) => (input.value = ""));
    }
    recompute(form);
  }

  document.addEventListener("input", (e) => {
    const form = e.target.closest?.("form[data-proposal-editor]");
    if (form) recompute(form);
  });
  document.addEventListener("change", (e) => {
    const form = e.target.closest?.("form[data-proposal-editor]");
    if (form) recompute(form);
  });
  document.addEventListener("click", (e) => {
    const form = e.target.closest?.("form[data-proposal-editor]");
    if (form && e.target.closest("[data-add-item]")) addRow(form);
    const remove = e.target.closest?.("[data-remove-item]");
    if (form && remove) removeRow(form, remove.closest("tr[data-item-row]"));
    const copy = e.target.closest?.("button[data-copy]");
    if (copy) copyField(copy);
  });

  // Copies the field a button names, and says so on the button for a moment.
  function copyField(button) {
    const field = document.getElementById(button.dataset.copy);
    const label = button.querySelector("[data-copy-label]");
    if (!field || !label) return;
    field.select();
    const done = () => {
      const before = label.dataset.text ?? label.textContent;
      label.dataset.text = before;
      label.textContent = button.dataset.copied || before;
      setTimeout(() => (label.textContent = before), 1500);
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, () => {});
    }
  }

  function start() {
    document.querySelectorAll("form[data-proposal-editor]").forEach(recompute);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
