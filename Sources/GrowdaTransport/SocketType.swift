import CZmq

/// The ZeroMQ socket patterns Growda uses.
public enum SocketType: Sendable, CaseIterable, CustomStringConvertible {
    /// Exclusive pair: one peer, both directions.
    case pair
    /// Publisher: sends to all subscribers, drops for slow ones at the high-water mark.
    case pub
    /// Subscriber: receives what matches its subscriptions.
    case sub
    /// Pipeline sender: round-robins to connected pullers.
    case push
    /// Pipeline receiver: fair-queues from all pushers.
    case pull
    /// Addressed server side: receives `[routing id, ...]`, replies by routing id.
    case router
    /// Asynchronous client side of a ROUTER.
    case dealer

    var rawValue: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        }
    }

    /// Whether sockets of this type receive messages (and so get a maximum message size).
    public var canReceive: Bool { self != .pub && self != .push }

    /// Whether sockets of this type send messages.
    public var canSend: Bool { self != .sub && self != .pull }

    /// The ZeroMQ name, such as `ROUTER`.
    public var description: String {
        switch self {
        case .pair: "PAIR"
        case .pub: "PUB"
        case .sub: "SUB"
        case .push: "PUSH"
        case .pull: "PULL"
        case .router: "ROUTER"
        case .dealer: "DEALER"
        }
    }
}
