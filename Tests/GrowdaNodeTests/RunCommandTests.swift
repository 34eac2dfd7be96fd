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
}
