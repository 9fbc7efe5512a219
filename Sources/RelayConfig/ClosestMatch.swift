/// The candidate closest to `word` for a "did you mean" suggestion, or nil when none is close enough.
///
/// Distance is the optimal string alignment distance (an adjacent swap counts as one edit), compared without
/// regard to letter case; a candidate qualifies at distance `max(1, word.count / 3)` or less, and on a tie the
/// earlier candidate wins.
public func closestMatch(to word: String, among candidates: some Sequence<String>) -> String? {
    let target = Array(word.lowercased())
    let limit = max(1, word.count / 3)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(target, Array(candidate.lowercased()))
        if distance <= limit, distance < (best?.distance ?? .max) {
            best = (candidate, distance)
        }
    }
    return best?.candidate
}

/// Levenshtein distance that also counts swapping two adjacent characters as one edit.
func editDistance(_ source: [Character], _ target: [Character]) -> Int {
    if source.isEmpty || target.isEmpty {
        return max(source.count, target.count)
    }
    var previousPrevious = [Int](repeating: 0, count: target.count + 1)
    var previous = Array(0...target.count)
    var current = [Int](repeating: 0, count: target.count + 1)
    for i in 1...source.count {
        current[0] = i
        for j in 1...target.count {
            let cost = source[i - 1] == target[j - 1] ? 0 : 1
            var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, source[i - 1] == target[j - 2], source[i - 2] == target[j - 1] {
                value = min(value, previousPrevious[j - 2] + 1)
            }
            current[j] = value
        }
        (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[target.count]
}
