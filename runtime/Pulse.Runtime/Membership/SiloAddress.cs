using System.Globalization;
using System.Net;

namespace Pulse.Runtime.Membership;

/// <summary>
/// The identity of one silo process: the endpoint other silos reach it on (silo-to-silo port) and a
/// generation (start ticks), so a restarted process on the same endpoint is a different silo.
/// </summary>
public readonly struct SiloAddress : IEquatable<SiloAddress>, IComparable<SiloAddress>
{
    /// <summary>Creates an address.</summary>
    public SiloAddress(IPEndPoint endpoint, long generation)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint;
        Generation = generation;
    }

    /// <summary>The silo-to-silo endpoint.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Start ticks of the process; unique per incarnation on an endpoint.</summary>
    public long Generation { get; }

    /// <summary>Whether this is the default (unset) value.</summary>
    public bool IsDefault => Endpoint is null;

    /// <summary>A new generation for a silo starting now.</summary>
    public static long NewGeneration(TimeProvider timeProvider) => timeProvider.GetUtcNow().UtcTicks;

    /// <summary>
    /// Stable text form <c>address:port@generation</c> (IPv6 addresses in brackets), used in the
    /// membership table and for hashing.
    /// </summary>
    public string ToParsableString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Endpoint}@{Generation}");

    /// <summary>Parses <see cref="ToParsableString"/>.</summary>
    /// <exception cref="FormatException">The text is not an address.</exception>
    public static SiloAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.LastIndexOf('@');
        if (at <= 0
            || !long.TryParse(text.AsSpan(at + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out long generation)
            || !IPEndPoint.TryParse(text.AsSpan(0, at), out IPEndPoint? endpoint)
            || endpoint.Port == 0)
        {
            throw new FormatException($"'{text}' is not a silo address (address:port@generation).");
        }

        return new SiloAddress(endpoint, generation);
    }

    /// <summary>Whether both name the same endpoint (any generation).</summary>
    public bool IsSameEndpoint(SiloAddress other) => Endpoint is not null && Endpoint.Equals(other.Endpoint);

    public bool Equals(SiloAddress other) => Generation == other.Generation && Equals(Endpoint, other.Endpoint);

    public override bool Equals(object? obj) => obj is SiloAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Endpoint, Generation);

    public int CompareTo(SiloAddress other) => string.CompareOrdinal(ToParsableString(), other.ToParsableString());

    public override string ToString() => IsDefault ? "(none)" : ToParsableString();

    public static bool operator ==(SiloAddress left, SiloAddress right) => left.Equals(right);

    public static bool operator !=(SiloAddress left, SiloAddress right) => !left.Equals(right);
}
