namespace Pulse.Runtime.Serialization;

/// <summary>
/// How a field's payload is laid out, so a reader can skip fields it does not know. A field starts
/// with a varint tag <c>(id &lt;&lt; 3) | wireType</c>.
/// </summary>
public enum WireType : byte
{
    /// <summary>A varint (zig-zag for signed integers).</summary>
    VarInt = 0,

    /// <summary>Eight little-endian bytes.</summary>
    Fixed64 = 1,

    /// <summary>A varint byte length, then that many bytes (strings, bytes, objects, collections).</summary>
    LengthPrefixed = 2,

    /// <summary>No payload: the value is null.</summary>
    Null = 3,

    /// <summary>Four little-endian bytes.</summary>
    Fixed32 = 5,
}
