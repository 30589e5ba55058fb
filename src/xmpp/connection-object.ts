/** The object a client or component connection is: see {@link StreamConnectionObject}. */
import type { StanzaSurface, SurfaceParts } from './stanza-surface.js';
import type {
  BaseStatus,
  ControlParts,
  StreamConnectionControl,
  StreamConnectionParts,
} from './stream-connection.js';

/**
 * A connection object: the skeleton's control and the stanza surface. Its methods are the
 * skeleton's own functions (closures that need no `this`, so a caller may pass them around or
 * wrap them, as with an object literal) and its two live values are prototype getters; a kind
 * subclasses it for its own getters. Built without property descriptors: copying them per
 * connection (accessors and all) cost more CPU than the rest of the connection's set-up.
 */
export class StreamConnectionObject<S extends string>
  implements StreamConnectionControl<S>, StanzaSurface
{
  connect: () => Promise<void>;
  onStatus: StreamConnectionControl<S>['onStatus'];
  disconnect: () => Promise<void>;
  send: StanzaSurface['send'];
  drain: StanzaSurface['drain'];
  pause: StanzaSurface['pause'];
  resume: StanzaSurface['resume'];
  iq: StanzaSurface['iq'];
  onStanza: StanzaSurface['onStanza'];
  readonly #control: ControlParts<S>;
  readonly #surface: SurfaceParts;

  constructor(parts: StreamConnectionParts<S>) {
    const { control, surface } = parts;
    this.#control = control;
    this.#surface = surface;
    this.connect = control.connect;
    this.onStatus = control.onStatus;
    this.disconnect = control.disconnect;
    this.send = surface.send;
    this.drain = surface.drain;
    this.pause = surface.pause;
    this.resume = surface.resume;
    this.iq = surface.iq;
    this.onStanza = surface.onStanza;
  }

  get status(): S | BaseStatus {
    return this.#control.statusNow();
  }

  get writableLength(): number {
    return this.#surface.writableLengthNow();
  }
}
