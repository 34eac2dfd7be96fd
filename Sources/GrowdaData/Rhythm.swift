/// The timing around ECG beats, which a beat's own 0.52 s window cannot show: how long since the beat
/// before (RR before) and until the beat after (RR after). A premature ventricular contraction comes early and
/// is followed by a compensatory pause; a wide beat in a steady rhythm (a bundle-branch block) does not.
///
/// Intervals come from each beat's R-peak position within its record, in the order of those positions, and are
/// divided by the record's mean RR, so a fast and a slow heart give the same ratios (the patient is not seen in
/// training). Only the beats in the file count: a beat left out of it (MIT-BIH's other symbols) makes the
/// interval across it look longer.
public enum Rhythm {
    /// One beat's rhythm, as ratios to its record's mean RR interval (1 in a steady rhythm).
    public struct Ratios: Sendable, Equatable {
        /// RR before ÷ the record's mean RR (a record's first beat: RR after).
        public var before: Float
        /// RR after ÷ the record's mean RR (a record's last beat: RR before).
        public var after: Float
        /// RR before ÷ the mean of up to the `localBeats` RR intervals before it: prematurity against the
        /// local rhythm.
        public var local: Float
    }

    /// How many RR intervals before a beat make its local rhythm.
    public static let localBeats = 8

    /// Each beat's ratios, from its record and R-peak position (samples); a record of one beat gets all 1.
    public static func ratios(records: [String], rPeaks: [Int]) -> [Ratios] {
        precondition(records.count == rPeaks.count, "one R peak per record entry")
        var out = [Ratios](repeating: Ratios(before: 1, after: 1, local: 1), count: records.count)
        var byRecord: [String: [Int]] = [:]
        for (i, record) in records.enumerated() { byRecord[record, default: []].append(i) }
        for members in byRecord.values where members.count >= 2 {
            let beats = members.sorted { (rPeaks[$0], $0) < (rPeaks[$1], $1) }
            let intervals = zip(beats.dropFirst(), beats).map { Float(max(1, rPeaks[$0] - rPeaks[$1])) }
            let mean = intervals.reduce(0, +) / Float(intervals.count)
            for (k, beat) in beats.enumerated() {
                let before = k > 0 ? intervals[k - 1] : intervals[0]
                let after = k < intervals.count ? intervals[k] : intervals[k - 1]
                // The intervals before the one ending at this beat (the beat's own RR before when there are none).
                let window = k >= 2 ? Array(intervals[max(0, k - 1 - localBeats)..<(k - 1)]) : [before]
                let local = window.reduce(0, +) / Float(window.count)
                out[beat] = Ratios(before: before / mean, after: after / mean, local: before / local)
            }
        }
        return out
    }

    /// The index of the R peak in a beat window of `length` samples (90 of 187: 0.25 s before at 360 Hz).
    public static func peakIndex(length: Int) -> Int { (length - 1) * 90 / 186 }
}

extension Dataset {
    /// These beats with a second channel carrying their rhythm, for a model that takes (2, L) samples: the
    /// samples before the R peak hold the RR-before ratio, the R peak itself the local ratio, the samples after
    /// it the RR-after ratio (see `Rhythm`). Needs records and R peaks (`groups`, `rPeaks`); `origin` names the
    /// data in the error otherwise.
    public func addingRhythmChannel(origin: String) throws(DatasetError) -> Dataset {
        guard case .floats(let floats) = samples, sampleShape.count == 2, sampleShape[0] == 1 else {
            preconditionFailure("a rhythm channel is added to (1, L) beats, not \(sampleShape)")
        }
        guard let groups, let rPeaks else { throw .noRhythm(path: origin) }
        let length = sampleShape[1], peak = Rhythm.peakIndex(length: length)
        let ratios = Rhythm.ratios(records: groups, rPeaks: rPeaks)
        var out = [Float]()
        out.reserveCapacity(2 * floats.count)
        for i in 0..<count {
            out.append(contentsOf: floats[(i * length)..<((i + 1) * length)])
            let r = ratios[i]
            out.append(contentsOf: repeatElement(r.before, count: peak))
            out.append(r.local)
            out.append(contentsOf: repeatElement(r.after, count: length - peak - 1))
        }
        return Dataset(
            classNames: classNames, sampleShape: [2, length], floats: out, labels: labels, sources: sources,
            groups: groups, rPeaks: rPeaks)
    }
}
