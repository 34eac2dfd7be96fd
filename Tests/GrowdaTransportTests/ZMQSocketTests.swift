import CZmq
import Foundation
import Testing

@testable import GrowdaTransport

@Suite struct ZMQSocketTests {
    let context: ZMQContext

    init() throws { context = try ZMQContext() }

    @Test func pushPullOverTCPKeepsMultipart() throws {
        let pull = try makeSocket(.pull, context)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:") && !endpoint.hasSuffix(":*"))
        let push = try makeSocket(.push, context)
        try push.connect(endpoint)
        try push.send([Frame("header"), Frame([1, 2, 3]), Frame()])
        let frames = try pull.receive()
        #expect(frames == [Frame("header"), Frame([1, 2, 3]), Frame()])
    }

    @Test func pubSubOverTCPDeliversOnlySubscribedPrefix() throws {
        let pub = try makeSocket(.pub, context)
        let endpoint = try pub.bind("tcp://127.0.0.1:*")
        let sub = try makeSocket(.sub, context)
        try sub.set(.receiveTimeout(.milliseconds(20)))
        try sub.subscribe("model")
        try sub.connect(endpoint)
        // Subscriptions reach the publisher a moment after connecting (the slow joiner): publish
        // until one arrives, each round preceded by a message the subscriber must never see.
        var received: [Frame]?
        for _ in 0..<250 where received == nil {
            try pub.send([Frame("other"), Frame("x")])
            try pub.send([Frame("model"), Frame("v7")])
            received = try? sub.receive()
        }
        #expect(received.map(strings) == ["model", "v7"])
    }

    @Test func routerDealerOverTCPRoundTrip() throws {
        let router = try makeSocket(.router, context)
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        let dealer = try makeSocket(.dealer, context)
        try dealer.set(.routingId(Array("node-a".utf8)))
        try dealer.connect(endpoint)
        try dealer.send([Frame("latest?"), Frame([9])])
        let request = try router.receive()
        #expect(strings(request) == ["node-a", "latest?", "\u{9}"])
        try router.send([request[0], Frame("snapshot"), Frame("v3")])
        #expect(strings(try dealer.receive()) == ["snapshot", "v3"])
    }

    @Test func pushPullOverIPC() throws {
        let (endpoint, path) = ipcEndpoint()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pull = try makeSocket(.pull, context)
        #expect(try pull.bind(endpoint) == endpoint)
        let push = try makeSocket(.push, context)
        try push.connect(endpoint)
        try push.send([Array("over".utf8), Array("ipc".utf8)])
        #expect(strings(try pull.receive()) == ["over", "ipc"])
    }

    @Test func routerDealerOverInproc() throws {
        let router = try makeSocket(.router, context)
        try router.bind("inproc://growda-test-\(UUID().uuidString)")
        let dealer = try makeSocket(.dealer, context)
        try dealer.connect(try router.lastEndpoint())
        try dealer.send([Frame("ping")])
        let request = try router.receive()
        #expect(request.count == 2 && request[1] == Frame("ping"))
        try router.send([request[0], Frame("pong")])
        #expect(strings(try dealer.receive()) == ["pong"])
    }

    @Test func badEndpointIsATypedErrorNamingTheCall() throws {
        let push = try makeSocket(.push, context)
        let error = #expect(throws: ZMQError.self) { try push.connect("nonsense://x") }
        #expect(error?.call == "zmq_connect")
        #expect(error?.detail == "nonsense://x")
        #expect(error?.kind == .unsupportedProtocol)
        #expect(error?.message == String(cString: zmq_strerror(EPROTONOSUPPORT)))
        #expect(error?.description.hasPrefix("zmq_connect(nonsense://x) failed: ") == true)
    }

    @Test func bindingAPortInUseIsATypedError() throws {
        let first = try makeSocket(.pull, context)
        let endpoint = try first.bind("tcp://127.0.0.1:*")
        let second = try makeSocket(.pull, context)
        let error = #expect(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error?.call == "zmq_bind")
        #expect(error?.detail == endpoint)
        #expect(error?.kind == .addressInUse)
    }

    @Test func nothingToReceiveIsWouldBlockAndATerminatedContextIsDistinct() throws {
        let pull = try makeSocket(.pull, context)
        try pull.bind("inproc://growda-test-\(UUID().uuidString)")
        let empty = #expect(throws: ZMQError.self) { try pull.receive(dontWait: true) }
        #expect(empty?.kind == .wouldBlock)
        #expect(empty?.call == "zmq_msg_recv")
        context.shutdown()
        let terminated = #expect(throws: ZMQError.self) { try pull.receive() }
        #expect(terminated?.kind == .contextTerminated)
    }

    @Test func tryReceiveIsNilOnAnEmptySocket() throws {
        let pull = try makeSocket(.pull, context)
        try pull.bind("inproc://growda-test-\(UUID().uuidString)")
        #expect(try pull.tryReceive() == nil)
    }

    @Test func tryReceiveReturnsAWaitingMessageWhole() throws {
        let pull = try makeSocket(.pull, context)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        let push = try makeSocket(.push, context)
        try push.connect(endpoint)
        try push.send([Frame("update"), Frame([1, 2, 3])])
        let poller = ZMQPoller()
        poller.add(pull)
        #expect(try poller.poll(timeout: .seconds(10)) == [.readable])
        #expect(try pull.tryReceive() == [Frame("update"), Frame([1, 2, 3])])
        #expect(try pull.tryReceive() == nil)
    }

    @Test func tryReceiveAndPollThrowOnceTheContextIsTerminated() throws {
        let pull = try makeSocket(.pull, context)
        try pull.bind("inproc://growda-test-\(UUID().uuidString)")
        context.shutdown()
        // libzmq answers ETERM, not EAGAIN, so this is an error and not "nothing to read".
        let received = #expect(throws: ZMQError.self) { try pull.tryReceive() }
        #expect(received?.kind == .contextTerminated)
        #expect(received?.call == "zmq_msg_recv")
        let poller = ZMQPoller()
        poller.add(pull)
        let polled = #expect(throws: ZMQError.self) { try poller.poll(timeout: .zero) }
        #expect(polled?.kind == .contextTerminated)
        #expect(polled?.call == "zmq_poll")
    }

    /// libzmq reads a frame's size before its body and drops the connection when the size is over
    /// ZMQ_MAXMSGSIZE: nothing of the frame is delivered, the sender reconnects, and what it sends
    /// after the reconnect arrives. A PUSH with one peer keeps its order, so had the big frame got
    /// through it would be the first message the PULL sees.
    @Test func oversizeFrameDropsTheConnectionAndLaterMessagesArrive() throws {
        var configuration = SocketConfiguration()
        configuration.maxMessageSize = 1024
        let pull = try makeSocket(.pull, context, configuration: configuration)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        let push = try makeSocket(.push, context)
        try push.connect(endpoint)
        try push.send([Frame([UInt8](repeating: 7, count: 1025))])

        // Probes follow on the same socket: those written into the dropped connection are lost with
        // it, those sent after the reconnect arrive.
        let poller = ZMQPoller()
        poller.add(pull)
        var received: [[Frame]] = []
        var probes = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while received.isEmpty && ContinuousClock.now < deadline {
            if try sendUnlessFull(push, [Frame("probe \(probes)")]) { probes += 1 }
            if try poller.poll(timeout: .milliseconds(50))[0].contains(.readable) {
                while let frames = try pull.tryReceive() { received.append(frames) }
            }
        }
        #expect(!received.isEmpty)
        #expect(received.allSatisfy { $0.count == 1 && strings($0)[0].hasPrefix("probe ") })

        // Another sender, on a connection of its own, sends a frame of exactly the limit: it arrives.
        let other = try makeSocket(.push, context)
        try other.connect(endpoint)
        try other.send([Frame([UInt8](repeating: 1, count: 1024))])
        var atLimit: [Frame]?
        while atLimit == nil && ContinuousClock.now < deadline {
            let frames = try pull.receive()
            if frames.count == 1 && frames[0].count == 1024 { atLimit = frames }
            #expect(frames[0].count < 1025, "the oversize frame was delivered")
        }
        #expect(atLimit?.first?.bytes == [UInt8](repeating: 1, count: 1024))
    }

    @Test func zeroCopySendKeepsTheBufferAliveUntilSent() throws {
        let pull = try makeSocket(.pull, context)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        let push = try makeSocket(.push, context)
        try push.connect(endpoint)
        let size = 4 << 20
        func pattern(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        do {
            // The only Swift reference to the 4 MB buffer dies at the end of this scope, before
            // libzmq has necessarily written it to the socket.
            let body = Frame(count: size) { buffer in
                for i in 0..<buffer.count { buffer[i] = pattern(i) }
            }
            try push.send([Frame("update"), body])
        }
        let frames = try pull.receive()
        #expect(frames.count == 2 && frames[0] == Frame("update"))
        #expect(frames[1].count == size)
        let intact = frames[1].withUnsafeBytes { bytes in bytes.indices.allSatisfy { bytes[$0] == pattern($0) } }
        #expect(intact)
        // A large received frame is libzmq's own buffer, not a copy.
        if case .owned = frames[1].storage {} else { Issue.record("a 4 MB frame was copied on receive") }
        if case .bytes = frames[0].storage {} else { Issue.record("a small frame should be copied into an array") }
    }

    @Test func configurationDefaultsAreAppliedByKind() throws {
        let pull = try ZMQSocket(.pull, context: context)
        #expect(try pull.int64Option(ZMQ_MAXMSGSIZE) == 16 << 20)
        #expect(try pull.intOption(ZMQ_RCVHWM) == 32)
        #expect(try pull.intOption(ZMQ_LINGER) == 1000)
        #expect(try pull.intOption(ZMQ_HEARTBEAT_IVL) == 5000)
        #expect(try pull.intOption(ZMQ_RECONNECT_IVL_MAX) == 5000)
        #expect(try pull.intOption(ZMQ_TCP_KEEPALIVE) == 1)
        #expect(try pull.intOption(ZMQ_TCP_KEEPALIVE_IDLE) == 60)
        let pub = try ZMQSocket(.pub, context: context)
        #expect(try pub.int64Option(ZMQ_MAXMSGSIZE) == -1)
        #expect(try pub.intOption(ZMQ_SNDHWM) == 32)
        #expect(try pub.intOption(ZMQ_LINGER) == 1000)
        for type in SocketType.allCases where type.canReceive {
            #expect(try ZMQSocket(type, context: context).int64Option(ZMQ_MAXMSGSIZE) == 16 << 20)
        }
    }

    @Test func optionsReachLibzmq() throws {
        let router = try ZMQSocket(.router, context: context)
        try router.set([
            .linger(nil), .receiveTimeout(.milliseconds(250)), .routerMandatory(true), .immediate(true),
            .heartbeat(nil), .tcpKeepalive(nil), .maxMessageSize(nil), .reconnectInterval(.seconds(2)),
        ])
        #expect(try router.intOption(ZMQ_LINGER) == -1)
        #expect(try router.intOption(ZMQ_RCVTIMEO) == 250)
        #expect(try router.intOption(ZMQ_IMMEDIATE) == 1)
        #expect(try router.intOption(ZMQ_HEARTBEAT_IVL) == 0)
        #expect(try router.intOption(ZMQ_TCP_KEEPALIVE) == 0)
        #expect(try router.int64Option(ZMQ_MAXMSGSIZE) == -1)
        #expect(try router.intOption(ZMQ_RECONNECT_IVL) == 2000)
        try router.set(.linger(.zero))
        let unroutable = #expect(throws: ZMQError.self) { try router.send([Frame("nobody"), Frame("x")]) }
        #expect(unroutable?.kind == .hostUnreachable)
    }
}
