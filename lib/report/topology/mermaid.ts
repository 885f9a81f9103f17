/**
 * Draws the graph as a Mermaid `flowchart LR`: hosts on the left, one subgraph per namespace, other outside nodes after
 * them; solid arrows for routing, dotted arrows for NetworkPolicy-allowed traffic. Nodes and edges are sorted by id.
 */
import { formatPorts, sanitizeId, type EdgeStyle, type Graph, type GraphNode } from './graph';
import { compare } from './text';

const EDGE_ORDER: Readonly<Record<EdgeStyle, number>> = { route: 0, serve: 1, policy: 2 };

/** Text safe inside a double-quoted Mermaid label (entity codes for characters the parser or renderer would take). */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&|`\r\n\t]/g, (c) => {
    switch (c) {
      case '#':
        return '#35;';
      case '"':
        return '#quot;';
      case '<':
        return '#lt;';
      case '>':
        return '#gt;';
      case '&':
        return '#amp;';
      case '|':
        return '#124;';
      case '`':
        return '#96;';
      default:
        return ' ';
    }
  });
}

/** The lines of the diagram, from `flowchart LR` on (without the Markdown fence). */
export function renderDiagram(graph: Graph): string[] {
  const groups = [...new Set([...graph.nodes.values()].flatMap((n) => (n.group === undefined ? [] : [n.group])))].sort(compare);
  const { nodeIds, groupIds } = graph.ids(groups);
  const id = (key: string): string => nodeIds.get(key) ?? sanitizeId(key);
  const nodeLine = (n: GraphNode, indent: string): string => `${indent}${id(n.key)}["${mermaidText(n.label)}"]`;
  const sortedNodes = [...graph.nodes.values()].sort((x, y) => compare(id(x.key), id(y.key)));

  const lines = ['flowchart LR'];
  for (const n of sortedNodes) if (n.group === undefined && n.first) lines.push(nodeLine(n, '  '));
  for (const g of groups) {
    lines.push(`  subgraph ${groupIds.get(g)} ["${mermaidText(`namespace ${g}`)}"]`);
    for (const n of sortedNodes) if (n.group === g) lines.push(nodeLine(n, '    '));
    lines.push('  end');
  }
  for (const n of sortedNodes) if (n.group === undefined && !n.first) lines.push(nodeLine(n, '  '));

  const edges = [...graph.edges.values()].sort(
    (x, y) => EDGE_ORDER[x.style] - EDGE_ORDER[y.style] || compare(id(x.from), id(y.from)) || compare(id(x.to), id(y.to)),
  );
  for (const e of edges) {
    const label = e.style === 'policy' ? formatPorts(e.ports) : e.parts.join(', ');
    const arrow = e.style === 'policy' ? '-.->' : '-->';
    lines.push(label === '' ? `  ${id(e.from)} ${arrow} ${id(e.to)}` : `  ${id(e.from)} ${arrow}|"${mermaidText(label)}"| ${id(e.to)}`);
  }
  return lines;
}
