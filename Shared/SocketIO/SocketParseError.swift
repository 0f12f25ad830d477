/// Why a Socket.IO packet was refused; any of them closes the whole connection.
public enum SocketParseError: Error, Sendable, Hashable {
    /// The first character is not a packet type `0`…`6`, or the text is empty.
    case unknownType
    /// The attachment count of a binary packet is missing, not a number, below 1, or a
    /// placeholder points at no attachment.
    case illegalAttachments
    /// A binary packet announces more attachments than allowed.
    case tooManyAttachments
    /// Something that looks like a namespace does not start with `/`.
    case invalidNamespace
    /// The ack id is too large.
    case invalidAckID
    /// The data is not valid JSON.
    case invalidJSON
    /// The data does not have the shape the packet type needs.
    case invalidPayload
    /// An event uses a name Socket.IO reserves.
    case reservedEventName(String)
    /// A binary message arrived while no binary packet was waiting for attachments.
    case unexpectedBinary
    /// A text message arrived while a binary packet was still waiting for attachments.
    case unexpectedText
    /// A packet that does not fit the connection's state: a CONNECT for a namespace the client
    /// is already in, or any other packet for a namespace it is not in.
    case invalidState
}
