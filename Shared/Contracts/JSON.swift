import Foundation

/// A JSON value, as it travels in event arguments and instruction payloads.
///
/// Integers are kept apart from floating-point numbers so that ids survive a round trip
/// unchanged; object keys are encoded sorted so that the same value always has the same bytes.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])
}

extension JSON: Codable {
    /// Decodes any JSON value.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSON].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    /// Encodes the value as it is.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` is JSON `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A literal `true` or `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A literal integer.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A literal floating-point number.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A literal string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A literal array.
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    /// A literal object; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSON {
    /// The member `key` of an object, or `nil` for anything else.
    public subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The element at `index` of an array, or `nil` when out of range or not an array.
    public subscript(index: Int) -> JSON? {
        if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, when this is an integer or a floating-point number without a fraction.
    public var intValue: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: return Int64(value)
        default: return nil
        }
    }

    /// The boolean, when this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: [String: JSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// `true` for JSON `null`.
    public var isNull: Bool { self == .null }

    /// The compact JSON text of this value, keys sorted.
    public var jsonText: String {
        (try? JSONCoding.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "null"
    }
}

/// The project's one JSON configuration: compact output, sorted keys, slashes unescaped.
///
/// One encoder and one decoder serve the whole process: making them anew for every call cost
/// ~5% of a bus round trip's CPU in a profile. Sharing them is safe. Foundation declares both
/// `Sendable` (the compiler checks that for these `static let`s). Each `encode`/`decode` copies
/// the options into state of its own, and nothing here changes the options after creation.
public enum JSONCoding {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static let decoder = JSONDecoder()

    /// Encodes `value` as compact UTF-8 JSON with sorted keys. A ``JSON`` value, a list of
    /// them or a list of ``Instruction``s (in one pass, `JSONWriter.write(_: [Instruction])`)
    /// is written by ``JSONWriter``, everything else by `JSONEncoder`.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        if let value = value as? JSON { return JSONWriter.write(value) }
        if let values = value as? [JSON] { return JSONWriter.write(.array(values)) }
        if let instructions = value as? [Instruction] { return JSONWriter.write(instructions) }
        return try encoder.encode(value)
    }

    /// Decodes `type` from UTF-8 JSON. A ``JSON`` value or a list of them is read by
    /// ``JSONReader``, a list of ``Instruction``s by `InstructionReader` (straight from the
    /// bytes), everything else by `JSONDecoder`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if type == JSON.self { return try JSONReader.read(data) as! T }
        if type == [JSON].self {
            guard case .array(let values) = try JSONReader.read(data) else { throw JSONReader.Failure(offset: 0) }
            return values as! T
        }
        if type == [Instruction].self { return try InstructionReader.read(data) as! T }
        return try decoder.decode(type, from: data)
    }
}
