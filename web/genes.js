// Gene selection: search-as-you-type over thousands of names, one gene or the sum of several.

const MAX_LISTED = 300;

export class GenePicker {
  /** `onChange(indices)` is called with the gene indices to show (one, or several to sum). */
  constructor(elements, onChange) {
    Object.assign(this, elements);
    this.onChange = onChange;
    this.names = [];
    this.lowerNames = [];
    this.selected = [];
    this.search.addEventListener('input', () => this.refreshList());
    this.search.addEventListener('keydown', (event) => this.onSearchKey(event));
    this.list.addEventListener('change', () => {
      if (this.mode() === 'single') this.pick(Number(this.list.value));
    });
    this.list.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && this.list.value !== '') {
        event.preventDefault();
        this.pick(Number(this.list.value));
      }
    });
    this.list.addEventListener('dblclick', () => {
      if (this.list.value !== '') this.pick(Number(this.list.value));
    });
    this.add.addEventListener('click', () => {
      if (this.list.value !== '') this.pick(Number(this.list.value));
    });
    for (const radio of this.modeRadios) radio.addEventListener('change', () => this.onModeChange());
  }

  mode() {
    return this.modeRadios.find((radio) => radio.checked).value;
  }

  /** New gene names (a new expression matrix): shows `initial` (indices). */
  setGenes(names, initial) {
    this.names = names;
    this.lowerNames = names.map((name) => name.toLowerCase());
    this.selected = initial.filter((index) => index < names.length);
    this.search.disabled = names.length === 0;
    this.list.disabled = names.length === 0;
    this.refreshList();
    this.renderSelection();
  }

  /** Renames the genes (a gene-name file) keeping the selection. */
  rename(names) {
    this.names = names;
    this.lowerNames = names.map((name) => name.toLowerCase());
    this.refreshList();
    this.renderSelection();
  }

  /** Indices of genes whose names contain the query; names starting with it come first. */
  matches(query) {
    const needle = query.trim().toLowerCase();
    if (!needle) return this.names.map((_, index) => index);
    const starts = [];
    const contains = [];
    this.lowerNames.forEach((name, index) => {
      const at = name.indexOf(needle);
      if (at === 0) starts.push(index);
      else if (at > 0) contains.push(index);
    });
    return starts.concat(contains);
  }

  refreshList() {
    const found = this.matches(this.search.value);
    const shown = found.slice(0, MAX_LISTED);
    const fragment = document.createDocumentFragment();
    for (const index of shown) {
      const option = document.createElement('option');
      option.value = String(index);
      option.textContent = this.names[index];
      fragment.append(option);
    }
    this.list.replaceChildren(fragment);
    if (shown.length > 0 && this.selected.length > 0) {
      const current = String(this.selected[this.selected.length - 1]);
      if (shown.includes(Number(current))) this.list.value = current;
    }
    this.matchCount.textContent =
      found.length > shown.length
        ? `(first ${shown.length} of ${found.length.toLocaleString('en-US')}; type to narrow)`
        : `(${found.length.toLocaleString('en-US')})`;
    return found;
  }

  onSearchKey(event) {
    if (event.key === 'ArrowDown' && this.list.options.length > 0) {
      event.preventDefault();
      this.list.focus();
      if (this.list.selectedIndex < 0) this.list.selectedIndex = 0;
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const first = this.matches(this.search.value)[0];
      if (first !== undefined) this.pick(first);
    }
  }

  onModeChange() {
    this.add.hidden = this.mode() !== 'sum';
    if (this.mode() === 'single' && this.selected.length > 1) {
      this.selected = [this.selected[this.selected.length - 1]];
      this.changed();
    } else {
      this.renderSelection();
    }
  }

  /** Shows gene `index` alone (single mode) or adds it to the sum (sum mode). */
  pick(index) {
    if (this.mode() === 'single') {
      this.selected = [index];
    } else if (!this.selected.includes(index)) {
      this.selected = [...this.selected, index];
    } else {
      return;
    }
    this.changed();
  }

  remove(index) {
    if (this.selected.length <= 1) return;
    this.selected = this.selected.filter((selected) => selected !== index);
    this.changed();
  }

  changed() {
    this.renderSelection();
    this.onChange(this.selected.slice());
  }

  renderSelection() {
    const names = this.selected.map((index) => this.names[index]);
    this.shown.textContent = names.length === 0 ? 'no expression loaded' : names.join(' + ');
    const sum = this.mode() === 'sum';
    this.chips.hidden = !sum;
    const items = this.selected.map((index) => {
      const item = document.createElement('li');
      item.append(this.names[index]);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = '×';
      remove.setAttribute('aria-label', `Remove ${this.names[index]} from the sum`);
      remove.disabled = this.selected.length <= 1;
      remove.addEventListener('click', () => this.remove(index));
      item.append(remove);
      return item;
    });
    this.chips.replaceChildren(...items);
  }
}
