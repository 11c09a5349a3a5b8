// dom.js: small DOM helpers shared by the views.
import { fmtUSD, moneyNote } from './format.js';

/** document.getElementById that fails loudly when the page lacks the id. */
export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error('console: missing #' + id);
  return node;
}

/** Creates an element with a class and text, optionally appended to parent. */
export function h(tag, cls = '', text = '', parent = null) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== '') node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

/** Sets textContent only when it changed (keeps selection and avoids repaints). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Fills a money cell: the amount (or "unpriced" when null) in a span with
 * class "money" (and "unpriced" when null), then "+ N unpriced" in a <small>
 * when part of the group could not be priced.
 */
export function setMoney(node, value, unpriced = 0) {
  let main = node.querySelector(':scope > .money');
  let note = node.querySelector(':scope > .money-note');
  if (!main) {
    node.replaceChildren();
    main = h('span', 'money', '', node);
    note = h('small', 'money-note', '', node);
  }
  setText(main, fmtUSD(value));
  main.classList.toggle('unpriced', value === null);
  setText(note, value === null ? '' : moneyNote(unpriced));
  note.hidden = note.textContent === '';
}
