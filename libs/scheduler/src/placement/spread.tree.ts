import { nodeAttribute } from '../state/node.attributes';
import { type NodeInfo } from '../state/node.info';
import { BinaryHeap } from './binary.heap';

interface Leaf {
  readonly value: string;
  /** Replicas of the service under this branch, on every node (admitted or not). */
  tasks: number;
  nodes: BinaryHeap<NodeInfo>;
}

interface Inner {
  readonly value: string;
  tasks: number;
  readonly children: Map<string, Tree>;
  /** The children with a node left to take a task. */
  open: BinaryHeap<Tree>;
}

type Tree = Leaf | Inner;

function isLeaf(t: Tree): t is Leaf {
  return 'nodes' in t;
}

function hasRoom(t: Tree): boolean {
  return isLeaf(t) ? t.nodes.size > 0 : t.open.size > 0;
}

const branchLess = (a: Tree, b: Tree) =>
  a.tasks < b.tasks || (a.tasks === b.tasks && a.value < b.value);

/**
 * swarmkit's decision tree for placement preferences. Each `spread` preference splits the
 * nodes by the value of one attribute (nodes without it share the value ''), nested in the
 * order given; a leaf ranks its nodes with `nodeLess`. Each task walks down to the branch
 * with the fewest replicas of the service (counted on all its nodes, as swarmkit does, so
 * replicas on a drained node still weigh on its zone), which fills the branches level by
 * level: per parent, the branches that can still take tasks end up within one of each
 * other. swarmkit computes a quota per branch instead and breaks ties in map order; taking
 * one task at a time with a heap gives the same balance, deterministically.
 *
 * With no preferences the tree is a single leaf: plain spread over the nodes.
 */
export class SpreadTree {
  private readonly root: Tree;

  /**
   * `nodes`: every node, for the counts; `admitted`: those that may take a task now.
   * `replicas` gives a node's replicas of the service.
   */
  constructor(
    nodes: Iterable<NodeInfo>,
    admitted: ReadonlySet<NodeInfo>,
    spreadOver: readonly string[],
    replicas: (node: NodeInfo) => number,
    nodeLess: (a: NodeInfo, b: NodeInfo) => boolean,
  ) {
    const leafNodes = new Map<Tree, NodeInfo[]>();
    const make = (value: string, depth: number): Tree =>
      depth === spreadOver.length
        ? { value, tasks: 0, nodes: new BinaryHeap(nodeLess) }
        : { value, tasks: 0, children: new Map(), open: new BinaryHeap(branchLess) };
    this.root = make('', 0);
    for (const node of nodes) {
      const count = replicas(node);
      let t = this.root;
      t.tasks += count;
      for (let depth = 0; depth < spreadOver.length; depth++) {
        const inner = t as Inner;
        const value = nodeAttribute(node.node, spreadOver[depth]!);
        let child = inner.children.get(value);
        if (!child) inner.children.set(value, (child = make(value, depth + 1)));
        child.tasks += count;
        t = child;
      }
      if (admitted.has(node)) {
        const list = leafNodes.get(t);
        if (list) list.push(node);
        else leafNodes.set(t, [node]);
      }
    }
    this.fill(this.root, leafNodes, nodeLess);
  }

  /** Whether any node can still take a task. */
  get hasRoom(): boolean {
    return hasRoom(this.root);
  }

  /**
   * Picks the node for the next task and hands it to `place`, which records the task there
   * and says whether the node can take yet another. Undefined when no node is left.
   */
  next(place: (node: NodeInfo) => boolean): NodeInfo | undefined {
    return hasRoom(this.root) ? take(this.root, place) : undefined;
  }

  private fill(
    t: Tree,
    leafNodes: ReadonlyMap<Tree, NodeInfo[]>,
    nodeLess: (a: NodeInfo, b: NodeInfo) => boolean,
  ): void {
    if (isLeaf(t)) {
      t.nodes = new BinaryHeap(nodeLess, leafNodes.get(t) ?? []);
      return;
    }
    const open: Tree[] = [];
    for (const child of t.children.values()) {
      this.fill(child, leafNodes, nodeLess);
      if (hasRoom(child)) open.push(child);
    }
    t.open = new BinaryHeap(branchLess, open);
  }
}

/** The caller checked hasRoom(t). Pops before counts change and pushes back after. */
function take(t: Tree, place: (node: NodeInfo) => boolean): NodeInfo {
  t.tasks++;
  if (isLeaf(t)) {
    const node = t.nodes.pop()!;
    if (place(node)) t.nodes.push(node);
    return node;
  }
  const child = t.open.pop()!;
  const node = take(child, place);
  if (hasRoom(child)) t.open.push(child);
  return node;
}
