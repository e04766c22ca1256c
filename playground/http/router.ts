/**
 * The one path router of the playground and its emulators: find-my-way (fastify's router) behind a small table
 * that speaks the OpenAPI templates our route lists are written in (`/issue/{issueIdOrKey}`), and answers
 * "wrong method" apart from "no such path" so each emulator can refuse both the way its product does.
 */
import Router from 'find-my-way';

/** What a lookup found. Path parameters come back percent-decoded. */
export type RouteLookup<T> =
  | { kind: 'match'; value: T; params: Record<string, string> }
  | { kind: 'wrongMethod'; allowed: string[] }
  | { kind: 'none' };

/**
 * `{name}` (OpenAPI) to `:name` (find-my-way); literal colons are escaped as find-my-way wants (`::`). A parameter
 * must be a whole segment, and `*` is refused: find-my-way gives both meanings our templates never have.
 */
export function routerPath(template: string): string {
  return template
    .split('/')
    .map((seg) => {
      const param = /^\{(\w+)\}$/.exec(seg);
      if (param) return `:${param[1]}`;
      if (/[{}*]/.test(seg)) throw new Error(`route template \`${template}\`: segment \`${seg}\` is not a literal or a whole \`{parameter}\``);
      return seg.replace(/:/g, '::');
    })
    .join('/');
}

/** Routes keyed by method and path template, each carrying a value (a route definition, a handler...). */
export class RouteTable<T> {
  // Parameters may be long (issue property keys, base64url targets): no length cap of the router's own.
  private readonly router = Router({ maxParamLength: Number.MAX_SAFE_INTEGER });
  private readonly methods = new Set<string>();

  /** Adds a route; `template` uses `{param}` segments. Throws on a duplicate method and template. */
  add(method: string, template: string, value: T): this {
    const m = method.toUpperCase();
    this.router.on(m as Router.HTTPMethod, routerPath(template), () => undefined, { value });
    this.methods.add(m);
    return this;
  }

  /**
   * The route for a path (without its query). Literal segments win over parameters. A parameter never
   * matches an empty segment, and a path that is not valid percent-encoding matches nothing.
   */
  lookup(method: string, pathname: string): RouteLookup<T> {
    const m = method.toUpperCase();
    const hit = this.methods.has(m) ? this.find(m, pathname) : null;
    if (hit) return { kind: 'match', ...hit };
    const allowed = [...this.methods].filter((other) => other !== m && this.find(other, pathname));
    return allowed.length ? { kind: 'wrongMethod', allowed } : { kind: 'none' };
  }

  private find(method: string, pathname: string): { value: T; params: Record<string, string> } | null {
    // find-my-way stops a path at `?` and `#`; a pathname from URL has neither, so nothing is lost.
    const found = this.router.find(method as Router.HTTPMethod, pathname);
    if (!found) return null;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) {
      if (v === undefined || v === '') return null;
      params[k] = v;
    }
    return { value: (found.store as { value: T }).value, params };
  }
}
