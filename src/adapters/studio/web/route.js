// The page's address: #/page/persona[/mode], where mode is a page's own option (the chat's "compare").
export function parseHash() {
  const [page = 'personas', persona = '', mode = ''] = location.hash.replace(/^#\/?/, '').split('/');
  return { page, persona: decodeURIComponent(persona), mode };
}

export function navigate(page, persona, mode) {
  location.hash = `#/${page}${persona ? `/${encodeURIComponent(persona)}${mode ? `/${mode}` : ''}` : ''}`;
}
