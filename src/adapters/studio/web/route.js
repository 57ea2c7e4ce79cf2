// The page's address: #/page/persona[/mode[/arg]], where mode and arg are a page's own options
// (#/chat/fdr/compare/<version> puts that version next to the base).
export function parseHash() {
  const [page = 'personas', persona = '', mode = '', arg = ''] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { page, persona, mode, arg };
}

export function navigate(page, persona) {
  location.hash = `#/${page}${persona ? `/${encodeURIComponent(persona)}` : ''}`;
}
