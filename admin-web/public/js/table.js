// table.js: a data table with sortable columns. Column headers hold real
// <button>s (keyboard and screen-reader friendly); the sorted column's <th>
// carries aria-sort. Rows are reused between updates (no flicker).

/**
 * new SortTable(table, columns, {sortKey, sortDir, rowKey, empty})
 * columns: [{key, label, numeric, sort(row) -> number|string|null,
 *            cell(row, td) -> fills the cell}]
 * Rows with a null sort value go last whatever the direction.
 */
export class SortTable {
  constructor(table, columns, opts = {}) {
    this.table = table;
    this.columns = columns;
    this.sortKey = opts.sortKey || columns[0].key;
    this.sortDir = opts.sortDir || 'descending';
    this.rowKey = opts.rowKey || ((r) => JSON.stringify(r));
    this.emptyText = opts.empty || 'No data.';
    this.rows = [];
    this.buildHead();
    this.tbody = table.tBodies[0] || table.appendChild(document.createElement('tbody'));
  }

  buildHead() {
    const thead = this.table.tHead || this.table.createTHead();
    thead.replaceChildren();
    const tr = thead.insertRow();
    this.ths = this.columns.map((c) => {
      const th = document.createElement('th');
      th.scope = 'col';
      if (c.numeric) th.className = 'num';
      if (c.sort === false) {
        th.textContent = c.label;
      } else {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'sort';
        b.dataset.key = c.key;
        b.textContent = c.label;
        b.appendChild(document.createElement('span')).className = 'sort-icon';
        b.addEventListener('click', () => this.sortBy(c.key));
        th.appendChild(b);
      }
      tr.appendChild(th);
      return th;
    });
    this.markSort();
  }

  markSort() {
    this.columns.forEach((c, k) => {
      if (c.key === this.sortKey) this.ths[k].setAttribute('aria-sort', this.sortDir);
      else this.ths[k].removeAttribute('aria-sort');
    });
  }

  sortBy(key) {
    if (this.sortKey === key) this.sortDir = this.sortDir === 'ascending' ? 'descending' : 'ascending';
    else {
      this.sortKey = key;
      const c = this.columns.find((x) => x.key === key);
      this.sortDir = c.numeric ? 'descending' : 'ascending';
    }
    this.markSort();
    this.render();
  }

  sorted() {
    const col = this.columns.find((c) => c.key === this.sortKey);
    const val = col.sort || ((r) => r[col.key]);
    const dir = this.sortDir === 'ascending' ? 1 : -1;
    return this.rows.slice().sort((a, b) => {
      const x = val(a);
      const y = val(b);
      if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
      if (y === null || y === undefined) return -1;
      if (typeof x === 'string') return dir * x.localeCompare(y);
      return dir * (x - y);
    });
  }

  /** Replaces the data; DOM rows are reused by position. */
  update(rows) {
    this.rows = rows;
    this.render();
  }

  render() {
    const rows = this.sorted();
    const tb = this.tbody;
    if (!rows.length) return this.renderEmpty();
    if (tb.dataset.empty) tb.replaceChildren();
    delete tb.dataset.empty;
    while (tb.rows.length > rows.length) tb.deleteRow(-1);
    while (tb.rows.length < rows.length) {
      const tr = tb.insertRow();
      this.columns.forEach((c) => (tr.insertCell().className = c.numeric ? 'num' : ''));
    }
    rows.forEach((r, i) => {
      const tr = tb.rows[i];
      tr.dataset.key = this.rowKey(r);
      this.columns.forEach((c, k) => {
        const td = tr.cells[k];
        td.dataset.col = c.key;
        td.dataset.label = c.label;	/* the column name, shown on narrow screens */
        c.cell(r, td);
      });
    });
  }

  renderEmpty() {
    const tb = this.tbody;
    if (tb.dataset.empty && tb.textContent === this.emptyText) return;
    tb.replaceChildren();
    tb.dataset.empty = '1';
    const td = tb.insertRow().insertCell();
    td.colSpan = this.columns.length;
    td.className = 'empty-cell';
    td.textContent = this.emptyText;
  }
}
