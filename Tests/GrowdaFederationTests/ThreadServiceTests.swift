import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import GrowdaFederation

/// `ThreadService`: a blocking body on its own thread, stopped when its group gives up.
@Suite struct ThreadServiceTests {
    struct Boom: Error {}

    /// A service that fails at once.
    struct FailingService: Service {
        func run() async throws { throw Boom() }
    }

    /// A body that blocks until `stop` is called (a lasting flag, as the service asks), with a count of stops.
    final class Blocker: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private(set) var stops = 0
        private var started = false

        func run() throws {
            lock.withLock { started = true }
            while !lock.withLock({ stopped }) { Thread.sleep(forTimeInterval: 0.01) }
        }

        func stop() {
            lock.withLock {
                stopped = true
                stops += 1
            }
        }

        var stopCount: Int { lock.withLock { stops } }
    }

    struct TimedOut: Error {}

    /// Runs `body`, failing with `TimedOut` after `seconds` so that a test cannot hang forever.
    static func within(seconds: Double, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await body()
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return false
            }
            let finished = try await group.next()!
            group.cancelAll()
            if !finished { throw TimedOut() }
        }
    }

    /// Beside a service that throws at once, the group cancels the blocked thread's service: its stop is
    /// called, its body returns, and the group's run throws the first service's error.
    @Test func failingNeighbourStopsTheThread() async throws {
        let blocker = Blocker()
        let service = ThreadService(name: "test-blocker", run: { try blocker.run() }, stop: { blocker.stop() })
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service), .init(service: FailingService())],
                logger: Logger(label: "thread-service-test")))
        var thrown: (any Error)?
        do {
            try await Self.within(seconds: 60) { try await group.run() }
        } catch {
            thrown = error
        }
        #expect(thrown is Boom)
        #expect(blocker.stopCount >= 1)
    }

    /// The body's error comes out of `run`, and a body that returns ends `run` without a stop.
    @Test func bodyErrorIsRethrown() async throws {
        let failing = ThreadService(name: "test-failing", run: { throw Boom() }, stop: {})
        await #expect(throws: Boom.self) { try await failing.run() }
        let blocker = Blocker()
        let quick = ThreadService(name: "test-quick", run: {}, stop: { blocker.stop() })
        try await quick.run()
        #expect(blocker.stopCount == 0)
    }
}
