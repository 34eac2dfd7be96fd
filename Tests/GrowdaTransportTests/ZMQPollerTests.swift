import Foundation
import Testing

@testable import GrowdaTransport

@Suite struct ZMQPollerTests {
    @Test func pollerReportsWhichSocketsAreReadable() throws {
        let context = try ZMQContext()
        let quiet = try makeSocket(.pull, context)
        try quiet.bind("inproc://growda-test-\(UUID().uuidString)")
        let busy = try makeSocket(.pull, context)
        let endpoint = try busy.bind("inproc://growda-test-\(UUID().uuidString)")
        let poller = ZMQPoller()
        poller.add(quiet)
        poller.add(busy)
        #expect(try poller.poll(timeout: .zero) == [[], []])
        let push = try makeSocket(.push, context)
        try push.connect(endpoint)
        try push.send([Frame("hi")])
        #expect(try poller.poll(timeout: .seconds(2)) == [[], .readable])
    }
}
