import Testing

@testable import GrowdaData

@Suite struct SyntheticECGTests {
    @Test func beatsAreNormalisedRepeatableAndGroupedByRecord() {
        let a = SyntheticECG.generate(records: 6, beatsPerRecord: 40, seed: 3)
        let b = SyntheticECG.generate(records: 6, beatsPerRecord: 40, seed: 3)
        #expect(a.samples == b.samples && a.labels == b.labels)
        #expect(a.sampleShape == [1, 187] && a.count == 240 && a.classNames == ["0", "1"])
        #expect(Set(a.groups!) == Set((0..<6).map(SyntheticECG.recordName)))
        guard case .floats(let values) = a.samples else { Issue.record("signals are floats"); return }
        #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
        for i in 0..<a.count {
            let beat = values[i * 187..<(i + 1) * 187]
            #expect(beat.min() == 0 && beat.max() == 1, "beat \(i) is min-max normalised")
        }
        #expect(a.classCounts[0] > 0 && a.classCounts[1] > 0)
    }

    @Test func laterRecordsAreOtherPatients() {
        let first = SyntheticECG.generate(records: 4, beatsPerRecord: 10, seed: 3)
        let more = SyntheticECG.generate(records: 8, beatsPerRecord: 10, seed: 3)
        let others = SyntheticECG.generate(records: 4, beatsPerRecord: 10, seed: 3, first: 4)
        // Records 0–3 are the same whatever follows them; records 4–7 are new ones.
        #expect(more.subset(Array(0..<40)).samples == first.samples)
        #expect(more.subset(Array(40..<80)).samples == others.samples)
        #expect(Set(first.groups!).isDisjoint(with: others.groups!))
    }

    /// PVC-like beats have a wide QRS: more samples near the R peak sit far from the beat's median level.
    @Test func pvcBeatsAreWiderThanNormalOnes() {
        let data = SyntheticECG.generate(records: 10, beatsPerRecord: 60, seed: 9)
        guard case .floats(let values) = data.samples else { return }
        var width: [Double] = [0, 0], count: [Double] = [0, 0]
        for i in 0..<data.count {
            let beat = Array(values[i * 187..<(i + 1) * 187])
            let median = beat.sorted()[93]
            let wide = beat[60..<130].filter { abs($0 - median) > 0.25 }.count
            width[Int(data.labels[i])] += Double(wide)
            count[Int(data.labels[i])] += 1
        }
        #expect(width[1] / count[1] > 1.5 * width[0] / count[0])
    }

    /// Records differ: their mean normal beats are further apart than two halves of one record.
    @Test func recordsDiffer() {
        let data = SyntheticECG.generate(records: 2, beatsPerRecord: 80, seed: 5)
        guard case .floats(let values) = data.samples else { return }
        func meanBeat(_ indices: [Int]) -> [Double] {
            let normal = indices.filter { data.labels[$0] == 0 }
            return (0..<187).map { j in normal.reduce(0) { $0 + Double(values[$1 * 187 + j]) } / Double(normal.count) }
        }
        func distance(_ x: [Double], _ y: [Double]) -> Double {
            zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        let halves = distance(meanBeat(Array(0..<40)), meanBeat(Array(40..<80)))
        let across = distance(meanBeat(Array(0..<80)), meanBeat(Array(80..<160)))
        #expect(across > 5 * halves)
    }
}
