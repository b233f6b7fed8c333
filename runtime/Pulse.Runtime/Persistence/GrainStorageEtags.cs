using System.Globalization;

namespace Pulse.Runtime.Persistence;

/// <summary>
/// The ETag rules every Pulse storage provider shares: the ETag is the record's integer version in
/// invariant form, the first write stores version 1, each write or clear stores the next version.
/// </summary>
public static class GrainStorageEtags
{
    /// <summary>The version of a record's first write.</summary>
    public const int FirstVersion = 1;

    /// <summary>Formats a version as an ETag.</summary>
    public static string Format(int version) => version.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses an ETag this family of providers produced. False for null and for anything else: such
    /// an ETag can never match a stored version, so the write it guards must fail as a conflict.
    /// </summary>
    public static bool TryParse(string? etag, out int version) =>
        int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out version);

    /// <summary>
    /// The version after <paramref name="version"/>. It wraps to <see cref="FirstVersion"/> instead of
    /// overflowing: a hot grain that writes on every call could reach <see cref="int.MaxValue"/>, and
    /// an ETag reused after two billion writes cannot be confused in practice.
    /// </summary>
    public static int Next(int version) => version == int.MaxValue ? FirstVersion : version + 1;

    /// <summary>Creates the exception for a write or clear whose ETag does not match the stored one.</summary>
    /// <param name="provider">The provider's log name, e.g. <c>sqlite:Default</c>.</param>
    /// <param name="operation">"write" or "clear".</param>
    /// <param name="stateName">The state's name.</param>
    /// <param name="grainId">The grain.</param>
    /// <param name="storedEtag">The ETag in storage; null when no record exists.</param>
    /// <param name="currentEtag">The ETag the writer held.</param>
    public static InconsistentStateException Conflict(
        string provider, string operation, string stateName, GrainId grainId, string? storedEtag, string? currentEtag) =>
        new(
            $"Storage '{provider}' refused to {operation} state '{stateName}' of grain {grainId}: the stored ETag is " +
            $"{storedEtag ?? "<none>"} but the writer held {currentEtag ?? "<none>"}. Re-read the state and try again.",
            storedEtag,
            currentEtag);
}
