namespace Pulse.Runtime;

/// <summary>
/// The identity of a virtual actor: its <see cref="GrainType"/> and a string key. A grain with a
/// given id exists logically forever; the runtime activates it on demand.
/// </summary>
/// <remarks>
/// The stable hash is computed once at construction because every dictionary lookup and every
/// placement decision needs it.
/// </remarks>
public readonly struct GrainId : IEquatable<GrainId>
{
    /// <summary>The longest key accepted, in UTF-16 characters; keys are names, not payloads.</summary>
    public const int MaxKeyLength = 4096;

    // The type is kept as its two parts rather than as a GrainType field: the struct's padding would
    // make every grain id 32 bytes instead of 24, and a grain id sits in every activation and catalog entry.
    private readonly string? _typeValue;
    private readonly string? _key;
    private readonly uint _typeHash;

    /// <summary>Creates a grain id.</summary>
    /// <exception cref="ArgumentException">The type is default, or the key is null, empty or too long.</exception>
    public GrainId(GrainType type, string key)
    {
        if (type.IsDefault)
        {
            throw new ArgumentException("The grain type must be set.", nameof(type));
        }

        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"A grain key may have at most {MaxKeyLength} characters; this one has {key.Length}.", nameof(key));
        }

        _typeValue = type.Value;
        _typeHash = type.Hash;
        _key = key;
        UniformHash = StableHash.Compute(key, type.Hash);
    }

    /// <summary>The grain type.</summary>
    public GrainType Type => _typeValue is null ? default : new GrainType(_typeValue, _typeHash);

    /// <summary>The key that names this grain within its type.</summary>
    public string Key => _key ?? string.Empty;

    /// <summary>A hash of type and key that is stable across processes; placement uses it.</summary>
    public uint UniformHash { get; }

    /// <summary>Whether this is the default (unset) value.</summary>
    public bool IsDefault => _key is null;

    /// <summary>Creates a grain id from a type alias and key.</summary>
    public static GrainId Create(string type, string key) => new(new GrainType(type), key);

    public bool Equals(GrainId other) =>
        UniformHash == other.UniformHash
        && string.Equals(_key, other._key, StringComparison.Ordinal)
        && string.Equals(_typeValue, other._typeValue, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is GrainId other && Equals(other);

    public override int GetHashCode() => (int)UniformHash;

    /// <summary>Formats as <c>type/key</c>.</summary>
    public override string ToString() => $"{Type.Value}/{Key}";

    public static bool operator ==(GrainId left, GrainId right) => left.Equals(right);

    public static bool operator !=(GrainId left, GrainId right) => !left.Equals(right);
}
