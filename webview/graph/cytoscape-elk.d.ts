/** cytoscape-elk ships no types; it is a plain cytoscape extension registering the `elk` layout. */
declare module 'cytoscape-elk' {
  import type cytoscape from 'cytoscape';
  const extension: cytoscape.Ext;
  export default extension;
}
