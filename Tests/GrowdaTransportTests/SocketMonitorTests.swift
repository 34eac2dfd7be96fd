import Testing

@testable import GrowdaTransport

@Suite struct SocketMonitorTests {
    /// Reads `monitor` until `event` comes (true) or ~2 s of events pass without it (false).
    func waitFor(_ event: SocketEvent, on monitor: SocketMonitor) throws -> Bool {
        for _ in 0..<40 {
            if try monitor.next(timeout: .milliseconds(50))?.event == event { return true }
        }
        return false
    }

    @Test func dealerConnectingToRouterIsConnectedAndAccepted() throws {
        let context = try ZMQContext()
        let router = try makeSocket(.router, context)
        let routerEvents = try SocketMonitor(router)
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        #expect(try routerEvents.next(timeout: .seconds(2)) == MonitorEvent(event: .listening, endpoint: endpoint))

        let dealer = try makeSocket(.dealer, context)
        let dealerEvents = try SocketMonitor(dealer)
        try dealer.connect(endpoint)
        #expect(try waitFor(.connected, on: dealerEvents))
        #expect(try waitFor(.accepted, on: routerEvents))
        #expect(try waitFor(.handshakeSucceeded, on: dealerEvents))
    }

    func decode(_ id: UInt16, _ value: UInt32, _ endpoint: String = "tcp://127.0.0.1:1") -> MonitorEvent? {
        var header = [UInt8](repeating: 0, count: 6)
        header.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: id, toByteOffset: 0, as: UInt16.self)
            raw.storeBytes(of: value, toByteOffset: 2, as: UInt32.self)
        }
        return MonitorEvent(frames: [Frame(header), Frame(endpoint)])
    }

    @Test func monitorMessagesDecodeToEvents() {
        #expect(decode(0x0001, 12) == MonitorEvent(event: .connected, endpoint: "tcp://127.0.0.1:1"))
        #expect(decode(0x0004, 250)?.event == .connectRetried(interval: .milliseconds(250)))
        #expect(decode(0x0010, 98)?.event == .bindFailed(errno: 98))
        #expect(decode(0x0200, 12)?.event == .disconnected)
        #expect(decode(0x0800, 104)?.event == .handshakeFailed(.noDetail(errno: 104)))
        #expect(decode(0x2000, 0x1000_0001)?.event == .handshakeFailed(.protocolError(code: 0x1000_0001)))
        #expect(decode(0x4000, 400)?.event == .handshakeFailed(.authentication(statusCode: 400)))
        #expect(decode(0x8000, 5)?.event == .unknown(event: 0x8000, value: 5))
        #expect(MonitorEvent(frames: [Frame([1, 0])]) == nil)
    }
}
