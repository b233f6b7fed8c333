using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.Json;
using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// The 200 answer of a batch: a <see cref="RateLimitBatchResponse"/> written straight from the grains'
/// results. Building the response object first took a thousand-entry results array (64 bytes an entry)
/// and a thousand-entry response array (56 bytes an entry) per batch, about 120 KB, and both lived until
/// the body was written; now the results array is rented from the pool and goes back once the body is
/// serialized.
/// </summary>
internal sealed class RateLimitBatchResult : IResult, IStatusCodeHttpResult
{
    // Measured at about 80 bytes per decision; a little over, so the body fits the first buffer.
    private const int BytesPerResultHint = 96;

    private static readonly JsonTypeInfo<RateLimitBatchResponse> s_batchInfo = RateLimitJsonContext.Default.RateLimitBatchResponse;
    private static readonly JsonTypeInfo<RateLimitCheckResponse> s_resultInfo = RateLimitJsonContext.Default.RateLimitCheckResponse;

    // The wire names come from the contract's own metadata (its naming policy applied), not a second copy.
    private static readonly JsonEncodedText s_allowedName = PropertyName(s_batchInfo, nameof(RateLimitBatchResponse.Allowed));
    private static readonly JsonEncodedText s_resultsName = PropertyName(s_batchInfo, nameof(RateLimitBatchResponse.Results));

    // The fixed parts of a formatted decision, from the same metadata.
    private static readonly byte[] s_openAllowed = Fragment("{", nameof(RateLimitCheckResponse.Allowed), ":true,", nameof(RateLimitCheckResponse.Limit), ":");
    private static readonly byte[] s_openRefused = Fragment("{", nameof(RateLimitCheckResponse.Allowed), ":false,", nameof(RateLimitCheckResponse.Limit), ":");
    private static readonly byte[] s_remaining = Fragment(",", nameof(RateLimitCheckResponse.Remaining), ":");
    private static readonly byte[] s_resetAfter = Fragment(",", nameof(RateLimitCheckResponse.ResetAfterMs), ":");
    private static readonly byte[] s_retryAfter = Fragment(",", nameof(RateLimitCheckResponse.RetryAfterMs), ":");
    private static readonly byte[] s_delay = Fragment(",", nameof(RateLimitCheckResponse.DelayMs), ":");
    private static readonly byte[] s_closeShadow = Fragment(",", nameof(RateLimitCheckResponse.ShadowRejected), ":true}");

    /// <summary>Room <see cref="Format"/> needs: 104 bytes of names and punctuation and five integers of up to 20 characters (204), rounded up.</summary>
    internal const int MaxFormattedLength = 256;

    private RateLimitCheckResult[]? _results;
    private readonly int _count;

    private RateLimitBatchResult(RateLimitCheckResult[] results, int count)
    {
        _results = results;
        _count = count;
    }

    /// <inheritdoc />
    public int? StatusCode => StatusCodes.Status200OK;

    /// <summary>An array from the shared pool with room for <paramref name="count"/> results.</summary>
    public static RateLimitCheckResult[] RentResults(int count) => ArrayPool<RateLimitCheckResult>.Shared.Rent(count);

    /// <summary>
    /// The answer for the first <paramref name="count"/> entries of <paramref name="results"/>, an array
    /// from <see cref="RentResults"/>; the result returns it to the pool once it has been written.
    /// </summary>
    public static RateLimitBatchResult Create(RateLimitCheckResult[] results, int count)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, results.Length);
        return new RateLimitBatchResult(results, count);
    }

    /// <summary>Gives a rented array back when no answer will be written from it.</summary>
    public static void ReturnResults(RateLimitCheckResult[] results) => ArrayPool<RateLimitCheckResult>.Shared.Return(results);

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        RateLimitCheckResult[] results = _results ?? throw new InvalidOperationException("A batch answer is written once.");
        _results = null;
        try
        {
            await JsonResponseBody.WriteAsync(
                httpContext,
                (Results: results, Count: _count),
                static (writer, state) => Write(writer, state.Results.AsSpan(0, state.Count)),
                s_batchInfo.Options,
                sizeHint: 64 + (_count * BytesPerResultHint),
                StatusCodes.Status200OK,
                "application/json; charset=utf-8").ConfigureAwait(false);
        }
        finally
        {
            ReturnResults(results);
        }
    }

    /// <summary>Writes what serializing the equivalent <see cref="RateLimitBatchResponse"/> would.</summary>
    internal static void Write(Utf8JsonWriter writer, ReadOnlySpan<RateLimitCheckResult> results)
    {
        bool allowed = true;
        foreach (ref readonly RateLimitCheckResult result in results)
        {
            allowed &= result.Decision.Allowed;
        }

        writer.WriteStartObject();
        writer.WriteBoolean(s_allowedName, allowed);
        writer.WriteStartArray(s_resultsName);
        Span<byte> formatted = stackalloc byte[MaxFormattedLength];
        foreach (ref readonly RateLimitCheckResult result in results)
        {
            if (result.Outcome == RateLimitOutcome.Blocked && result.BlockReason is not null)
            {
                // A block reason is the tenant's text and needs the encoder; blocks are rare.
                JsonSerializer.Serialize(writer, ToResponse(result), s_resultInfo);
            }
            else
            {
                writer.WriteRawValue(formatted[..Format(result, formatted)], skipInputValidation: true);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>
    /// Formats a decision without a block reason as the serializer writes its <see cref="RateLimitCheckResponse"/>
    /// (names from its metadata, property order held by the byte-identity tests): the serializer's per-object
    /// work was a tenth of a batch's time, and these objects are only names and integers.
    /// </summary>
    /// <param name="result">A decision whose outcome is not a block with a reason.</param>
    /// <param name="destination">At least <see cref="MaxFormattedLength"/> bytes.</param>
    /// <returns>How many bytes were written.</returns>
    internal static int Format(in RateLimitCheckResult result, Span<byte> destination)
    {
        RateLimitDecision decision = result.Decision;
        int length = Append(destination, 0, decision.Allowed ? s_openAllowed : s_openRefused);
        length = Append(destination, length, decision.Limit);
        length = Append(destination, length, s_remaining);
        length = Append(destination, length, decision.Remaining);
        length = Append(destination, length, s_resetAfter);
        length = Append(destination, length, decision.ResetAfterMs);
        length = Append(destination, length, s_retryAfter);
        length = Append(destination, length, decision.RetryAfterMs);
        if (decision.DelayMs != 0)
        {
            length = Append(destination, length, s_delay);
            length = Append(destination, length, decision.DelayMs);
        }

        return Append(destination, length, result.Outcome == RateLimitOutcome.ShadowRejected ? s_closeShadow : "}"u8);
    }

    private static int Append(Span<byte> destination, int at, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination[at..]);
        return at + text.Length;
    }

    private static int Append(Span<byte> destination, int at, long value)
    {
        // Utf8Formatter is culture-invariant, as JSON numbers are.
        Utf8Formatter.TryFormat(value, destination[at..], out int written);
        return at + written;
    }

    /// <summary>The wire form of one decision.</summary>
    internal static RateLimitCheckResponse ToResponse(in RateLimitCheckResult result) => new()
    {
        Allowed = result.Decision.Allowed,
        Limit = result.Decision.Limit,
        Remaining = result.Decision.Remaining,
        ResetAfterMs = result.Decision.ResetAfterMs,
        RetryAfterMs = result.Decision.RetryAfterMs,
        DelayMs = result.Decision.DelayMs,
        Blocked = result.Outcome == RateLimitOutcome.Blocked ? result.BlockReason : null,
        ShadowRejected = result.Outcome == RateLimitOutcome.ShadowRejected,
    };

    private static JsonEncodedText PropertyName(JsonTypeInfo typeInfo, string memberName)
    {
        foreach (JsonPropertyInfo property in typeInfo.Properties)
        {
            if (string.Equals(property.Name, memberName, StringComparison.OrdinalIgnoreCase))
            {
                return JsonEncodedText.Encode(property.Name);
            }
        }

        throw new InvalidOperationException($"{typeInfo.Type.Name} has no JSON property for {memberName}.");
    }

    // prefix + "name" + suffix, or (with two members) prefix + "name1" + middle + "name2" + suffix, as UTF-8.
    private static byte[] Fragment(string prefix, string member, string suffix, string? secondMember = null, string? secondSuffix = null)
    {
        var text = new StringBuilder(prefix).Append('"').Append(PropertyName(s_resultInfo, member).ToString()).Append('"').Append(suffix);
        if (secondMember is not null)
        {
            text.Append('"').Append(PropertyName(s_resultInfo, secondMember).ToString()).Append('"').Append(secondSuffix);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
