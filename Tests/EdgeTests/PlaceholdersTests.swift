import Contracts
import Testing
@testable import Edge

@Suite struct PlaceholdersTests {
    let attachments: [[UInt8]] = [[0], [1, 1], [2, 2, 2]]

    @Test func placeholdersAreRenumberedPerPacketInOrderOfAppearance() {
        let arguments: [JSON] = [["file": ["_placeholder": true, "num": 2]], ["_placeholder": true, "num": 0], "text"]
        let (renumbered, bytes) = Placeholders.extract(arguments, from: attachments)
        #expect(renumbered == [["file": ["_placeholder": true, "num": 0]], ["_placeholder": true, "num": 1], "text"])
        #expect(bytes == [[2, 2, 2], [0]])
    }

    @Test func argumentsWithoutPlaceholdersTakeNothing() {
        let (renumbered, bytes) = Placeholders.extract(["a", 1, ["b": [true]]], from: attachments)
        #expect(renumbered == ["a", 1, ["b": [true]]])
        #expect(bytes.isEmpty)
    }

    @Test func aPlaceholderNamingNoAttachmentBecomesNull() {
        let (renumbered, bytes) = Placeholders.extract([["_placeholder": true, "num": 9]], from: attachments)
        #expect(renumbered == [nil])
        #expect(bytes.isEmpty)
    }

    @Test func recentIDsForgetTheOldestPastCapacity() {
        var ids = RecentIDs(capacity: 2)
        let inserted = [ids.insert("a"), ids.insert("b"), ids.insert("a"), ids.insert("c"), ids.insert("a")]
        // The repeat of a is refused; once c came, a was forgotten and is new again.
        #expect(inserted == [true, true, false, true, true])
    }
}
