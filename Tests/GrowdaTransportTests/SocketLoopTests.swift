import Testing

@testable import GrowdaTransport

@Suite struct SocketLoopTests {
    let context: ZMQContext

    init() throws { context = try ZMQContext() }

    @Test func loopReceivesAndRepliesFromItsOwnThread() async throws {
        let pull = try makeSocket(.pull, context)
        let pullEndpoint = try pull.bind("tcp://127.0.0.1:*")
        let router = try makeSocket(.router, context)
        let routerEndpoint = try router.bind("tcp://127.0.0.1:*")
        let loop = try SocketLoop(sockets: [pull, router], receiveCapacity: 8, sendCapacity: 8)
        defer { loop.shutdown() }

        let push = try makeSocket(.push, context)
        try push.connect(pullEndpoint)
        let dealer = try makeSocket(.dealer, context)
        try dealer.connect(routerEndpoint)
        try push.send([Frame("update"), Frame([1, 2])])

        try await withWatchdog(loop) {
            var inbox = loop.messages.makeAsyncIterator()
            let update = try #require(await inbox.next())
            #expect(update == SocketLoop.Message(socket: 0, frames: [Frame("update"), Frame([1, 2])]))

            try dealer.send([Frame("latest?")])
            let request = try #require(await inbox.next())
            #expect(request.socket == 1 && request.frames.count == 2 && request.frames[1] == Frame("latest?"))
            #expect(loop.send([request.frames[0], Frame("v1")], on: 1))
        }
        #expect(strings(try dealer.receive()) == ["v1"])
        loop.shutdown()
        #expect(loop.counters == SocketLoop.Counters(received: 2, dropped: 0, sent: 1, refused: 0, unsent: 0))
        #expect(loop.failure == nil)
    }

    @Test func fullReceiveBufferDropsAndCounts() async throws {
        let pull = try makeSocket(.pull, context)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        let loop = try SocketLoop(sockets: [pull], receiveCapacity: 4)
        let push = try makeSocket(.push, context)
        try push.connect(endpoint)
        for i in 0..<10 { try push.send([Frame("\(i)")]) }

        // Nobody consumes until the loop has read all ten.
        #expect(await eventually { loop.counters.received + loop.counters.dropped == 10 })
        loop.shutdown()
        var delivered: [[String]] = []
        for await message in loop.messages { delivered.append(strings(message.frames)) }
        #expect(delivered == [["0"], ["1"], ["2"], ["3"]])
        #expect(loop.counters.received == 4)
        #expect(loop.counters.dropped == 6)
    }

    @Test func fullSendQueueRefusesAndCounts() throws {
        let pull = try makeSocket(.pull, context)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        let push = try makeSocket(.push, context)
        try push.connect(endpoint)
        // Not started yet, so nothing drains the queue while it fills.
        let loop = try SocketLoop(
            sockets: [push],
            receiveCapacity: 4,
            sendCapacity: 3,
            monitorEvents: false,
            name: "test",
            start: false
        )
        let accepted = (0..<5).map { loop.send([Frame("\($0)")], on: 0) }
        #expect(accepted == [true, true, true, false, false])
        #expect(loop.counters.refused == 2)

        loop.start()
        let received = try (0..<3).map { _ in strings(try pull.receive()) }
        #expect(received == [["0"], ["1"], ["2"]])
        loop.shutdown()
        #expect(!loop.send([Frame("late")], on: 0))
        #expect(loop.counters == SocketLoop.Counters(received: 0, dropped: 0, sent: 3, refused: 2, unsent: 0))
    }

    @Test func loopSurfacesMonitorEvents() async throws {
        let router = try makeSocket(.router, context)
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        let loop = try SocketLoop(sockets: [router], monitorEvents: true)
        defer { loop.shutdown() }
        let dealer = try makeSocket(.dealer, context)
        try dealer.connect(endpoint)
        let accepted = await withWatchdog(loop) { () async -> SocketLoop.Event? in
            for await event in loop.events where event.event.event == .accepted { return event }
            return nil
        }
        #expect(accepted?.socket == 0)
    }

    @Test func terminatedContextStopsTheLoopWithATypedFailure() async throws {
        let pull = try makeSocket(.pull, context)
        try pull.bind("tcp://127.0.0.1:*")
        let push = try makeSocket(.push, context)
        let loop = try SocketLoop(sockets: [pull, push])
        defer { loop.shutdown() }
        context.shutdown()
        let count = await withWatchdog(loop) {
            var count = 0
            for await _ in loop.messages { count += 1 }
            return count
        }
        #expect(count == 0)
        #expect(loop.failure?.kind == .contextTerminated)
        #expect(loop.failure?.call == "zmq_poll")
        #expect(!loop.send([Frame("x")], on: 1))
        #expect(loop.counters.refused == 0)
    }

    @Test func anUnstartedLoopShutsDownAndStaysDown() async throws {
        let push = try makeSocket(.push, context)
        let loop = try SocketLoop(
            sockets: [push],
            receiveCapacity: 1,
            sendCapacity: 1,
            monitorEvents: false,
            name: "test",
            start: false
        )
        #expect(loop.send([Frame("queued")], on: 0))
        loop.shutdown()
        loop.start()
        var count = 0
        for await _ in loop.messages { count += 1 }
        #expect(count == 0)
        #expect(!loop.send([Frame("late")], on: 0))
        #expect(loop.counters == SocketLoop.Counters())
    }
}
