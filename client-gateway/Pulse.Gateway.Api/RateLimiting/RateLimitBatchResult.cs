using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.Json;
using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// The 200 answer of a batch: a <see cref="RateLimitBatchResponse"/> written straight from the grains'
/// results. Building the response object first took a thousand-entry results array (56 bytes an entry)
/// and a thousand-entry response array (48 bytes an entry) per batch, about 100 KB, and both lived until
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
    private static readonly JsonEncodedText s_allowedName = PropertyName(nameof(RateLimitBatchResponse.Allowed));
    private static readonly JsonEncodedText s_resultsName = PropertyName(nameof(RateLimitBatchResponse.Results));

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
        foreach (ref readonly RateLimitCheckResult result in results)
        {
            JsonSerializer.Serialize(writer, ToResponse(result), s_resultInfo);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The wire form of one decision.</summary>
    internal static RateLimitCheckResponse ToResponse(in RateLimitCheckResult result) => new()
    {
        Allowed = result.Decision.Allowed,
        Limit = result.Decision.Limit,
        Remaining = result.Decision.Remaining,
        ResetAfterMs = result.Decision.ResetAfterMs,
        RetryAfterMs = result.Decision.RetryAfterMs,
        Blocked = result.Outcome == RateLimitOutcome.Blocked ? result.BlockReason : null,
        ShadowRejected = result.Outcome == RateLimitOutcome.ShadowRejected,
    };

    private static JsonEncodedText PropertyName(string memberName)
    {
        foreach (JsonPropertyInfo property in s_batchInfo.Properties)
        {
            if (string.Equals(property.Name, memberName, StringComparison.OrdinalIgnoreCase))
            {
                return JsonEncodedText.Encode(property.Name);
            }
        }

        throw new InvalidOperationException($"{nameof(RateLimitBatchResponse)} has no JSON property for {memberName}.");
    }
}
