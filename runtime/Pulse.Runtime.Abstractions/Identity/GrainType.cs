namespace Pulse.Runtime;

/// <summary>
/// The stable name of a grain type. It is the alias of the grain interface (see
/// <see cref="GrainTypeAttribute"/>), so a caller that knows only the interface can compute the
/// identity, and therefore the placement, of any grain without asking the cluster.
/// </summary>
public readonly struct GrainType : IEquatable<GrainType>
{
    private readonly string? _value;

    /// <summary>Creates a grain type from its alias.</summary>
    public GrainType(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        _value = string.IsInterned(value) ?? value;
        Hash = StableHash.Compute(value);
    }

    /// <summary>The alias, for example <c>ratelimiter</c>.</summary>
    // Rebuilds a type from a grain id's parts; the value is already interned or canonical there.
    internal GrainType(string value, uint hash)
    {
        _value = value;
        Hash = hash;
    }

    public string Value => _value ?? string.Empty;

    /// <summary>The stable hash of <see cref="Value"/>.</summary>
    public uint Hash { get; }

    /// <summary>Whether this is the default (empty) value.</summary>
    public bool IsDefault => _value is null;

    public bool Equals(GrainType other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is GrainType other && Equals(other);

    public override int GetHashCode() => (int)Hash;

    public override string ToString() => Value;

    public static bool operator ==(GrainType left, GrainType right) => left.Equals(right);

    public static bool operator !=(GrainType left, GrainType right) => !left.Equals(right);
}
