import Testing

@testable import GrowdaNode

/// The node's resend backoff: doubling from `resendAfter` to a cap, ±20% jitter, back to the start on progress.
@Suite struct ResendScheduleTests {
    /// Seconds of a duration, for comparisons with a tolerance (jitter multiplies by a Double).
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static let second: UInt64 = 1_000_000_000

    /// 10 s doubling up to the default 8 × 10 s: 10, 20, 40, 80, then 80 for ever (no overflow).
    @Test func doublesUpToEightTimesByDefault() {
        let schedule = ResendSchedule(base: .seconds(10))
        #expect(schedule.maximum == .seconds(80))
        #expect(schedule.jitter == 0.2)
        let waits = (0...5).map { schedule.nominalWait(afterResends: $0) }
        #expect(waits == [.seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(80), .seconds(80)])
        #expect(schedule.nominalWait(afterResends: 10_000) == .seconds(80))
        #expect(schedule.nominalWait(afterResends: -3) == .seconds(10))
    }

    /// A maximum that is not a power-of-two multiple caps the doubling exactly; maximum == base never grows.
    @Test func customMaximum() {
        let schedule = ResendSchedule(base: .seconds(10), maximum: .seconds(30))
        #expect(
            (0...3).map { schedule.nominalWait(afterResends: $0) } == [
                .seconds(10), .seconds(20), .seconds(30), .seconds(30),
            ])
        let flat = ResendSchedule(base: .milliseconds(1500), maximum: .milliseconds(1500))
        #expect((0...4).map { flat.nominalWait(afterResends: $0) } == Array(repeating: .milliseconds(1500), count: 5))
    }

    /// Jitter scales by 1 + 0.2·(2·unit − 1): 0.8× at unit 0, 1× at ½, just under 1.2× near 1; after the cap.
    @Test func jitterBounds() {
        let schedule = ResendSchedule(base: .seconds(10))
        #expect(abs(Self.seconds(schedule.wait(afterResends: 0, unit: 0)) - 8) < 1e-9)
        #expect(abs(Self.seconds(schedule.wait(afterResends: 0, unit: 0.5)) - 10) < 1e-9)
        #expect(abs(Self.seconds(schedule.wait(afterResends: 1, unit: 0.75)) - 22) < 1e-9)
        #expect(abs(Self.seconds(schedule.wait(afterResends: 9, unit: 0)) - 64) < 1e-9)
        let top = Self.seconds(schedule.wait(afterResends: 9, unit: 0.999_999))
        #expect(top > 95.99 && top < 96)
        let none = ResendSchedule(base: .seconds(3), jitter: 0)
        #expect(none.wait(afterResends: 2, unit: 0.9) == .seconds(12))
    }

    /// Drawn jitter stays in [0.8, 1.2) of the nominal wait and spreads over that range.
    @Test func drawnJitterSpreads() {
        let schedule = ResendSchedule(base: .seconds(10))
        var generator = SplitMix64(seed: 7)
        let factors = (0..<2000).map { i in
            Self.seconds(schedule.wait(afterResends: i % 5, using: &generator))
                / Self.seconds(schedule.nominalWait(afterResends: i % 5))
        }
        #expect(factors.allSatisfy { $0 >= 0.8 - 1e-12 && $0 < 1.2 })
        #expect(factors.min()! < 0.82)
        #expect(factors.max()! > 1.18)
        #expect(Set(factors.map { Int($0 * 100) }).count > 30)  // not a few repeated values: nodes drift apart
    }

    /// An entry's timer: due at once before its first send, then 10, 20, 40, 80, 80 s after each send;
    /// `restart` (acknowledgements progressed) brings the next wait back to 10 s from the last send.
    @Test func timerBacksOffAndRestarts() {
        let schedule = ResendSchedule(base: .seconds(10))
        let s = Self.second
        var timer = ResendTimer()
        #expect(timer.isDue(now: 0))
        #expect(timer.lastSent == nil)

        timer.sent(at: 5 * s, schedule: schedule, unit: 0.5)  // the first send
        #expect(timer.resends == 0)
        #expect(timer.due == 15 * s)
        #expect(!timer.isDue(now: 15 * s - 1))
        #expect(timer.isDue(now: 15 * s))

        var sends: [UInt64] = []
        var now = 15 * s
        for _ in 0..<4 {
            timer.sent(at: now, schedule: schedule, unit: 0.5)
            sends.append(now)
            now = timer.due!
        }
        #expect(sends == [15 * s, 35 * s, 75 * s, 155 * s])  // waits 20, 40, 80 s
        #expect(timer.resends == 4)
        #expect(timer.due == 235 * s)  // capped at 80 s

        timer.restart(schedule: schedule, unit: 0.5)
        #expect(timer.resends == 0)
        #expect(timer.lastSent == 155 * s)
        #expect(timer.due == 165 * s)
        timer.sent(at: 165 * s, schedule: schedule, unit: 0.5)
        #expect(timer.resends == 1)
        #expect(timer.due == 185 * s)  // doubling starts again from 10 s
    }

    /// Jitter moves each due time: two nodes that sent at the same instant are due apart.
    @Test func timerJitter() {
        let schedule = ResendSchedule(base: .seconds(10))
        var early = ResendTimer()
        var late = ResendTimer()
        early.sent(at: 0, schedule: schedule, unit: 0)
        late.sent(at: 0, schedule: schedule, unit: 0.999)
        #expect(early.due! > 8 * Self.second - 1000 && early.due! < 8 * Self.second + 1000)
        #expect(late.due! > 11 * Self.second && late.due! < 12 * Self.second)
    }

    /// A timer never sent stays due at once after a restart.
    @Test func restartOfUnsentTimer() {
        var timer = ResendTimer()
        timer.restart(schedule: ResendSchedule(base: .seconds(1)), unit: 0.5)
        #expect(timer.isDue(now: 0))
        #expect(timer.due == nil)
    }

    /// The configuration's schedule: 10 s to 80 s by default; --resend-max sets the cap; a cap below
    /// `resendAfter` is taken as `resendAfter`.
    @Test func configurationSchedule() {
        var config = NodeConfiguration(bundlePath: "b", dataPath: "d", statePath: "s")
        #expect(config.resendSchedule == ResendSchedule(base: .seconds(10), maximum: .seconds(80)))
        config.resendAfter = .seconds(2)
        #expect(config.resendSchedule.maximum == .seconds(16))
        config.resendMaximum = .seconds(5)
        #expect(config.resendSchedule.maximum == .seconds(5))
        config.resendMaximum = .seconds(1)
        #expect(config.resendSchedule.maximum == .seconds(2))
    }
}

/// A small seeded generator so the drawn-jitter test is repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
