/**
 * A Jira-expression evaluator for the subset the app's workflow validators use, and nothing more:
 * `let` bindings, the ternary, `||`, `&&`, `==`, `!=`, `!`, member access (`.name`, `['key']`,
 * `[expr]`), `list.includes(x)`, string/number/boolean/null literals and the context variables
 * handed in. Anything else — other operators, arrow functions, `new`, optional chaining, other
 * methods — is refused with `ExpressionError` rather than guessed at, so an expression that
 * would need real Jira to judge it fails here, as a failed evaluation fails a validator in Jira.
 *
 * Semantics follow the Jira expressions reference where the subset touches it: `==` compares
 * values, a missing key of a JSON object reads as `null`, and reading a member of `null` is an
 * evaluation error.
 */

/** The expression could not be parsed or evaluated (Jira: "fails to evaluate because of errors"). */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

/** Jira refuses expressions longer than this (Jira expressions reference, "Restrictions"). */
export const EXPRESSION_MAX_CHARS = 1000;

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string; value?: unknown };

const PUNCT = ['==', '!=', '&&', '||', '?', ':', '!', '.', '[', ']', '(', ')', ';', '=', ','];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], value: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') {
          const next = source[j + 1];
          if (next === undefined || !`\\'"`.includes(next)) throw new ExpressionError(`unsupported escape at ${j}`);
          text += next;
          j += 2;
          continue;
        }
        text += source[j];
        j++;
      }
      if (j >= source.length) throw new ExpressionError('unterminated string');
      tokens.push({ kind: 'string', text, value: text });
      i = j + 1;
      continue;
    }
    if (source.startsWith('?.', i)) throw new ExpressionError('optional chaining is not supported by this emulator');
    if (source.startsWith('=>', i)) throw new ExpressionError('arrow functions are not supported by this emulator');
    const p = PUNCT.find((q) => source.startsWith(q, i));
    if (!p || (p === '=' && source[i + 1] === '=')) throw new ExpressionError(`unsupported token \`${source.slice(i, i + 3)}\` at ${i}`);
    tokens.push({ kind: 'punct', text: p });
    i += p.length;
  }
  return tokens;
}

type Node =
  | { t: 'lit'; value: unknown }
  | { t: 'var'; name: string }
  | { t: 'member'; object: Node; key: Node }
  | { t: 'call'; object: Node; method: string; args: Node[] }
  | { t: 'not'; operand: Node }
  | { t: 'bin'; op: '==' | '!=' | '&&' | '||'; left: Node; right: Node }
  | { t: 'cond'; test: Node; then: Node; else: Node }
  | { t: 'let'; name: string; value: Node; body: Node };

const RESERVED = new Set(['let', 'true', 'false', 'null', 'new', 'typeof', 'in', 'return', 'function', 'this']);

function parse(source: string): Node {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const is = (text: string) => peek()?.kind === 'punct' && peek()!.text === text;
  const expect = (text: string) => {
    if (!is(text)) throw new ExpressionError(`expected \`${text}\`${peek() ? ` but found \`${peek()!.text}\`` : ' at the end'}`);
    pos++;
  };

  const program = (): Node => {
    const t = peek();
    if (t?.kind === 'ident' && t.text === 'let') {
      pos++;
      const name = peek();
      if (name?.kind !== 'ident' || RESERVED.has(name.text)) throw new ExpressionError('expected a variable name after `let`');
      pos++;
      expect('=');
      const value = expr();
      expect(';');
      return { t: 'let', name: name.text, value, body: program() };
    }
    return expr();
  };
  const expr = (): Node => {
    const test = or();
    if (!is('?')) return test;
    pos++;
    const then = expr();
    expect(':');
    return { t: 'cond', test, then, else: expr() };
  };
  const binary = (ops: Array<'==' | '!=' | '&&' | '||'>, next: () => Node) => (): Node => {
    let left = next();
    while (peek()?.kind === 'punct' && (ops as string[]).includes(peek()!.text)) {
      const op = peek()!.text as '==' | '!=' | '&&' | '||';
      pos++;
      left = { t: 'bin', op, left, right: next() };
    }
    return left;
  };
  const unary = (): Node => {
    if (is('!')) {
      pos++;
      return { t: 'not', operand: unary() };
    }
    return postfix();
  };
  const equality = binary(['==', '!='], unary);
  const and = binary(['&&'], equality);
  const or = binary(['||'], and);
  const postfix = (): Node => {
    let node = primary();
    for (;;) {
      if (is('.')) {
        pos++;
        const name = peek();
        if (name?.kind !== 'ident') throw new ExpressionError('expected a member name after `.`');
        pos++;
        if (is('(')) {
          pos++;
          const args: Node[] = [];
          while (!is(')')) {
            args.push(expr());
            if (!is(')')) expect(',');
          }
          pos++;
          node = { t: 'call', object: node, method: name.text, args };
        } else {
          node = { t: 'member', object: node, key: { t: 'lit', value: name.text } };
        }
      } else if (is('[')) {
        pos++;
        const key = expr();
        expect(']');
        node = { t: 'member', object: node, key };
      } else if (is('(')) {
        throw new ExpressionError('calling a value is not supported by this emulator');
      } else {
        return node;
      }
    }
  };
  const primary = (): Node => {
    const t = peek();
    if (!t) throw new ExpressionError('unexpected end of expression');
    pos++;
    if (t.kind === 'string' || t.kind === 'number') return { t: 'lit', value: t.value };
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') return { t: 'lit', value: t.text === 'true' };
      if (t.text === 'null') return { t: 'lit', value: null };
      if (RESERVED.has(t.text)) throw new ExpressionError(`\`${t.text}\` is not supported by this emulator`);
      return { t: 'var', name: t.text };
    }
    if (t.text === '(') {
      const inner = expr();
      expect(')');
      return inner;
    }
    throw new ExpressionError(`unexpected \`${t.text}\``);
  };

  const node = program();
  if (pos < tokens.length) throw new ExpressionError(`unexpected \`${tokens[pos]!.text}\` after the expression`);
  return node;
}

const equal = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
};

function evaluate(node: Node, scope: Map<string, unknown>): unknown {
  switch (node.t) {
    case 'lit':
      return node.value;
    case 'var':
      if (!scope.has(node.name)) throw new ExpressionError(`unknown variable \`${node.name}\``);
      return scope.get(node.name);
    case 'let': {
      const inner = new Map(scope);
      inner.set(node.name, evaluate(node.value, scope));
      return evaluate(node.body, inner);
    }
    case 'member': {
      const object = evaluate(node.object, scope);
      const key = evaluate(node.key, scope);
      if (object === null || object === undefined) throw new ExpressionError(`cannot read \`${String(key)}\` of null`);
      if (Array.isArray(object)) {
        if (typeof key !== 'number' || !Number.isInteger(key)) throw new ExpressionError('a list is indexed by an integer');
        return object[key] ?? null;
      }
      if (typeof object !== 'object') throw new ExpressionError(`cannot read \`${String(key)}\` of a ${typeof object}`);
      if (typeof key !== 'string') throw new ExpressionError('an object is indexed by a string');
      return Object.prototype.hasOwnProperty.call(object, key) ? ((object as Record<string, unknown>)[key] ?? null) : null;
    }
    case 'call': {
      const object = evaluate(node.object, scope);
      if (node.method !== 'includes' || node.args.length !== 1) {
        throw new ExpressionError(`the method \`${node.method}\` is not supported by this emulator`);
      }
      const arg = evaluate(node.args[0]!, scope);
      if (Array.isArray(object)) return object.some((v) => equal(v, arg));
      if (typeof object === 'string' && typeof arg === 'string') return object.includes(arg);
      throw new ExpressionError('`includes` needs a list or a string');
    }
    case 'not': {
      const v = evaluate(node.operand, scope);
      if (typeof v !== 'boolean') throw new ExpressionError('`!` needs a boolean');
      return !v;
    }
    case 'bin': {
      if (node.op === '==' || node.op === '!=') {
        const same = equal(evaluate(node.left, scope), evaluate(node.right, scope));
        return node.op === '==' ? same : !same;
      }
      const left = evaluate(node.left, scope);
      if (typeof left !== 'boolean') throw new ExpressionError(`\`${node.op}\` needs booleans`);
      if (node.op === '&&' ? !left : left) return left;
      const right = evaluate(node.right, scope);
      if (typeof right !== 'boolean') throw new ExpressionError(`\`${node.op}\` needs booleans`);
      return right;
    }
    case 'cond': {
      const test = evaluate(node.test, scope);
      if (typeof test !== 'boolean') throw new ExpressionError('a condition must be a boolean');
      return evaluate(test ? node.then : node.else, scope);
    }
  }
}

/** Parses and evaluates `source` with the given context variables. Throws `ExpressionError`. */
export function evaluateExpression(source: string, context: Record<string, unknown>): unknown {
  if (source.length > EXPRESSION_MAX_CHARS) throw new ExpressionError(`the expression is longer than ${EXPRESSION_MAX_CHARS} characters`);
  return evaluate(parse(source), new Map(Object.entries(context)));
}

/** Checks that `source` is within the subset (for the manifest test), without evaluating it. */
export function parseExpression(source: string): void {
  if (source.length > EXPRESSION_MAX_CHARS) throw new ExpressionError(`the expression is longer than ${EXPRESSION_MAX_CHARS} characters`);
  parse(source);
}
