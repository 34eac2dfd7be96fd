import Testing

@testable import GrowdaNode

@Suite struct AggregatorContactTests {
    @Test func silenceWarnsThenErrsAndAnyAnswerClearsIt() {
        var contact = AggregatorContact(warningAfter: 60, errorAfter: 300)
        #expect(contact.level(at: 1000) == .ok)  // nothing asked: nothing to wait for
        contact.asked(at: 10)
        contact.asked(at: 40)  // the clock runs from the first unanswered question
        #expect(contact.level(at: 69) == .ok && contact.level(at: 70) == .warning)
        #expect(contact.level(at: 309) == .warning && contact.level(at: 310) == .error)
        #expect(contact.unanswered == 2 && contact.silence(at: 310) == 300)
        contact.answered(at: 311)
        #expect(contact.level(at: 311) == .ok && contact.unanswered == 0 && contact.silence(at: 999) == 0)
        contact.asked(at: 400)
        #expect(contact.level(at: 459) == .ok && contact.level(at: 460) == .warning)
    }

    @Test func anErrorThresholdBelowTheWarningIsRaisedToIt() {
        var contact = AggregatorContact(warningAfter: 10, errorAfter: 5)
        contact.asked(at: 0)
        #expect(contact.level(at: 9) == .ok && contact.level(at: 10) == .error)
    }

    @Test func theStatusTextSaysWhatToCheck() {
        let status = NodeStatus(
            node_id: 7, node_name: "st-marys", written_at: 100, model_version: 3, outbox: 1, sent: 4, resent: 2,
            acknowledged: 3, refused: 0, contact: .error, seconds_without_answer: 301, message: "check the key")
        let text = GrowdaNodeCommand.Status.text(status, now: 102)
        #expect(text.contains("st-marys (id 7), written 2 s ago") && text.contains("v3"))
        #expect(text.contains("contact   error (301 s without an answer)") && text.hasSuffix("check     check the key"))
        #expect(status.exitCode == 2)
    }

    @Test func theStatusTextShowsThePrivacySpent() {
        var status = NodeStatus(
            node_id: 7, node_name: "st-marys", written_at: 100, model_version: 3, outbox: 0, sent: 12, resent: 0,
            acknowledged: 12, refused: 0, contact: .ok, seconds_without_answer: 0, message: nil)
        status.privacy = NodePrivacyStatus(
            epsilon: 3.214, delta: 1e-5, max_epsilon: 8, updates: 12, budget_spent: true, dp_clip: 1, dp_noise: 1.5)
        let text = GrowdaNodeCommand.Status.text(status, now: 102)
        #expect(
            text.contains(
                "privacy   ε 3.21 of 8 at δ 1e-05 after 12 updates (DP-SGD clip 1, σ 1.5); budget spent: this node "
                    + "trains no more"), "\(text)")
    }
}
