import RelayConfig
import Testing

@Suite("Did you mean")
struct ClosestMatchTests {
    private let sinkKeys = ["url", "header", "timeout", "retry", "path"]
    private let eventTypes = ["contact.created", "contact.updated", "contact.deleted", "point.balance.updated"]

    @Test func aMissingLetterFindsTheKey() {
        #expect(closestMatch(to: "timout", among: sinkKeys) == "timeout")
    }

    @Test func swappedLettersFindTheEventType() {
        #expect(closestMatch(to: "contact.craeted", among: eventTypes) == "contact.created")
    }

    @Test func anAdjacentSwapCountsAsOneEdit() {
        // Four letters allow one edit; plain Levenshtein would count this swap as two.
        #expect(closestMatch(to: "ptah", among: sinkKeys) == "path")
    }

    @Test(arguments: ["zzz", "database", "x", "contact", "verify"])
    func aFarWordHasNoSuggestion(word: String) {
        #expect(closestMatch(to: word, among: ["url", "header", "timeout", "retry", "path"]) == nil)
    }

    @Test func letterCaseIsIgnoredAndTheCandidateIsReturnedAsWritten() {
        #expect(closestMatch(to: "TIMOUT", among: sinkKeys) == "timeout")
        #expect(closestMatch(to: "Path", among: ["PATH"]) == "PATH")
    }

    @Test func theAllowedDistanceGrowsWithTheWordLength() {
        // Two letters allow one edit, nine allow three.
        #expect(closestMatch(to: "ur", among: ["url"]) == "url")
        #expect(closestMatch(to: "u", among: ["url"]) == nil)
        #expect(closestMatch(to: "retentoin", among: ["retention"]) == "retention")
        #expect(closestMatch(to: "rxtxntxox", among: ["retention"]) == nil)
    }

    @Test func onATieTheEarlierCandidateWins() {
        #expect(closestMatch(to: "cat", among: ["bat", "hat"]) == "bat")
        #expect(closestMatch(to: "cat", among: ["hat", "bat"]) == "hat")
    }

    @Test func aCloserLaterCandidateBeatsAnEarlierOne() {
        #expect(closestMatch(to: "timout", among: ["tamouts", "timeout"]) == "timeout")
    }

    @Test func noCandidatesMeansNoSuggestion() {
        #expect(closestMatch(to: "timeout", among: [String]()) == nil)
    }

    @Test func anyStringSequenceWorks() {
        #expect(closestMatch(to: "tolerence", among: Set(["tolerance"])) == "tolerance")
    }
}
