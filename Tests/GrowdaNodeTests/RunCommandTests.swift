import ArgumentParser
import GrowdaNode
import Testing

/// `growda-node run`'s resend flags: --resend-max is optional and may not be below --resend-after.
@Suite struct RunCommandTests {
    static let required = ["--bundle", "b.bundle", "--data", "images"]

    @Test func resendMaxIsOptional() throws {
        _ = try GrowdaNodeCommand.Run.parse(Self.required)
        _ = try GrowdaNodeCommand.Run.parse(Self.required + ["--resend-after", "5", "--resend-max", "5"])
        _ = try GrowdaNodeCommand.Run.parse(Self.required + ["--resend-max", "120"])
    }

    @Test(arguments: [(["--resend-max", "5"], "10.0"), (["--resend-after", "2", "--resend-max", "1.5"], "2.0")])
    func resendMaxBelowResendAfterIsRefused(flags: [String], resendAfter: String) {
        do {
            _ = try GrowdaNodeCommand.Run.parse(Self.required + flags)
            Issue.record("\(flags) was accepted")
        } catch {
            #expect(
                GrowdaNodeCommand.Run.message(for: error)
                    == "--resend-max must be at least --resend-after (\(resendAfter))")
        }
    }

    /// A negative number is read as a number and refused with the flag's range (it used to be taken for a
    /// flag, leaving the option's value "missing").
    @Test(arguments: [
        (["--epochs", "-1"], "--epochs must be at least 1"), (["--batch", "-32"], "--batch must be at least 1"),
        (["--lr", "-0.001"], "--lr must be positive"),
        (["--heartbeat", "-2"], "--heartbeat and --resend-after must be positive"),
        (["--slowdown", "-1"], "--slowdown must be at least 1"),
        (["--max-updates", "-5"], "--max-updates must be at least 1"),
        (["--threads", "-1"], "--threads must be at least 1"),
        (["--weight-decay", "-0.1"], "--weight-decay must be in [0, 1)"),
        (
            ["--no-answer-warning", "-1"],
            "--no-answer-warning must be greater than 0 and --no-answer-error at least --no-answer-warning (got -1.0 and 300.0)"
        ),
    ])
    func negativeNumbersGetTheRangeError(flags: [String], message: String) {
        do {
            _ = try GrowdaNodeCommand.Run.parse(Self.required + flags)
            Issue.record("\(flags) was accepted")
        } catch {
            #expect(GrowdaNodeCommand.Run.message(for: error) == message)
        }
    }
}
