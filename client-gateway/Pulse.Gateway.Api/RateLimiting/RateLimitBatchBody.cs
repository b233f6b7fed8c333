using System.Buffers;
using System.Text.Json;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// A parsed <c>check-batch</c> body: its checks in a pooled array (give it back with <see cref="Dispose"/>),
/// how many were sent, and <c>allOrNothing</c>.
/// </summary>
/// <remarks>
/// <para>
/// Most batches have one shape: an object with <c>checks</c> (objects with the documented camelCase fields,
/// plain numbers and strings) and maybe <c>allOrNothing</c>. <see cref="Parse"/> reads that shape with a
/// <see cref="Utf8JsonReader"/> straight into the array, without an object per check: in perf, reading a
/// 1,000-check batch went from 23% of the silo's samples with the serializer to 14%. Anything else
/// (another spelling of a name, a number sent as a string, an unknown or repeated field, a null check,
/// invalid JSON, more than <see cref="RateLimitOptions.MaxBatchChecks"/> checks) is handed to the
/// source-generated serializer from the start, so its meaning and its errors are exactly those of
/// <see cref="RateLimitBatchRequest"/>: the fast path only ever accepts bodies the serializer reads to the
/// same values.
/// </para>
/// </remarks>
public sealed class RateLimitBatchBody : IDisposable
{
    private RateLimitCheckFields[]? _checks;

    private RateLimitBatchBody(RateLimitCheckFields[]? checks, int count, bool allOrNothing, bool readFast)
    {
        _checks = checks;
        Count = count;
        AllOrNothing = allOrNothing;
        ReadFast = readFast;
    }

    /// <summary>How many checks the body holds (0 when <c>checks</c> was absent or null); may exceed the maximum.</summary>
    public int Count { get; }

    /// <summary>When true, nothing is consumed unless every check passes.</summary>
    public bool AllOrNothing { get; }

    /// <summary>Whether the fast reader read the body (tests and diagnostics).</summary>
    public bool ReadFast { get; }

    /// <summary>The checks, in order; empty when <see cref="Count"/> is 0 or over the maximum (the batch is refused then).</summary>
    public ReadOnlySpan<RateLimitCheckFields> Checks =>
        _checks is null ? default : _checks.AsSpan(0, Count);

    /// <summary>Parses a batch body; throws <see cref="JsonException"/> as the serializer does for a body it cannot read.</summary>
    /// <param name="json">The whole body.</param>
    /// <returns>The body, or null for a JSON <c>null</c>.</returns>
    public static RateLimitBatchBody? Parse(ReadOnlySpan<byte> json)
    {
        // A check takes at least three bytes ("{}," or the last "{}" and the closing brackets), which bounds
        // the count by the body's length: small batches rent small arrays.
        int capacity = Math.Min(RateLimitOptions.MaxBatchChecks, (json.Length / 3) + 1);
        RateLimitCheckFields[] checks = ArrayPool<RateLimitCheckFields>.Shared.Rent(capacity);
        if (TryReadFast(json, checks, capacity, out int count, out bool allOrNothing))
        {
            return new RateLimitBatchBody(checks, count, allOrNothing, readFast: true);
        }

        ArrayPool<RateLimitCheckFields>.Shared.Return(checks, clearArray: true);
        RateLimitBatchRequest? request = JsonSerializer.Deserialize(json, RateLimitJsonContext.Default.RateLimitBatchRequest);
        if (request is null)
        {
            return null;
        }

        List<RateLimitCheckRequest>? sent = request.Checks;
        count = sent?.Count ?? 0;
        if (count is 0 or > RateLimitOptions.MaxBatchChecks)
        {
            return new RateLimitBatchBody(null, count, request.AllOrNothing, readFast: false);
        }

        checks = ArrayPool<RateLimitCheckFields>.Shared.Rent(count);
        for (int i = 0; i < count; i++)
        {
            checks[i] = RateLimitCheckFields.From(sent![i]);
        }

        return new RateLimitBatchBody(checks, count, request.AllOrNothing, readFast: false);
    }

    /// <summary>Gives the array back to the pool, cleared: it holds the batch's keys.</summary>
    public void Dispose()
    {
        RateLimitCheckFields[]? checks = Interlocked.Exchange(ref _checks, null);
        if (checks is not null)
        {
            ArrayPool<RateLimitCheckFields>.Shared.Return(checks, clearArray: true);
        }
    }

    // False whenever the body is not of the common shape; the serializer then reads it from the start.
    private static bool TryReadFast(ReadOnlySpan<byte> json, RateLimitCheckFields[] checks, int capacity, out int count, out bool allOrNothing)
    {
        count = 0;
        allOrNothing = false;
        bool sawChecks = false;
        bool sawAllOrNothing = false;

        // The serializer's reader settings under JsonSerializerDefaults.Web: no comments, no trailing commas, depth 64.
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("checks"u8) && !sawChecks)
                {
                    sawChecks = true;
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        continue;
                    }

                    if (reader.TokenType != JsonTokenType.StartArray || !TryReadChecks(ref reader, checks, capacity, out count))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("allOrNothing"u8) && !sawAllOrNothing)
                {
                    sawAllOrNothing = true;
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        return false;
                    }

                    allOrNothing = reader.TokenType == JsonTokenType.True;
                }
                else
                {
                    return false;
                }
            }

            // The root object must end here, with nothing after it.
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // Past capacity (only past the maximum, given how capacity is chosen) the serializer counts the checks.
    private static bool TryReadChecks(ref Utf8JsonReader reader, RateLimitCheckFields[] checks, int capacity, out int count)
    {
        count = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return true;
            }

            if (reader.TokenType != JsonTokenType.StartObject || count == capacity || !TryReadCheck(ref reader, out checks[count]))
            {
                return false;
            }

            count++;
        }

        return false;
    }

    private static bool TryReadCheck(ref Utf8JsonReader reader, out RateLimitCheckFields check)
    {
        check = default;
        string? key = null, algorithm = null, mode = null, policy = null;
        long? limit = null, windowMs = null, burst = null, cost = null;
        int seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int field = FieldOf(ref reader);
            if (field < 0 || (seen & (1 << field)) != 0)
            {
                return false;
            }

            seen |= 1 << field;
            reader.Read();
            bool read = field switch
            {
                0 => TryReadString(ref reader, out key),
                1 => TryReadInt64(ref reader, out limit),
                2 => TryReadInt64(ref reader, out windowMs),
                3 => TryReadAlgorithm(ref reader, out algorithm),
                4 => TryReadInt64(ref reader, out burst),
                5 => TryReadInt64(ref reader, out cost),
                6 => TryReadMode(ref reader, out mode),
                _ => TryReadString(ref reader, out policy),
            };
            if (!read)
            {
                return false;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return false;
        }

        check = new RateLimitCheckFields(true, key, limit, windowMs, algorithm, burst, cost, mode, policy);
        return true;
    }

    // The index of a check's field, by its exact camelCase name (escaped or not); -1 for any other name.
    private static int FieldOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("key"u8) ? 0
        : reader.ValueTextEquals("limit"u8) ? 1
        : reader.ValueTextEquals("windowMs"u8) ? 2
        : reader.ValueTextEquals("algorithm"u8) ? 3
        : reader.ValueTextEquals("burst"u8) ? 4
        : reader.ValueTextEquals("cost"u8) ? 5
        : reader.ValueTextEquals("mode"u8) ? 6
        : reader.ValueTextEquals("policy"u8) ? 7
        : -1;

    private static bool TryReadString(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        value = reader.GetString();
        return true;
    }

    // Algorithm and mode names repeat in every check: a known one is the shared literal, not a new string.
    private static bool TryReadAlgorithm(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType != JsonTokenType.String ? null
            : reader.ValueTextEquals("gcra"u8) ? "gcra"
            : reader.ValueTextEquals("token_bucket"u8) ? "token_bucket"
            : reader.ValueTextEquals("leaky_bucket"u8) ? "leaky_bucket"
            : reader.ValueTextEquals("sliding_window"u8) ? "sliding_window"
            : reader.ValueTextEquals("fixed_window"u8) ? "fixed_window"
            : null;
        return value is not null || TryReadString(ref reader, out value);
    }

    private static bool TryReadMode(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType != JsonTokenType.String ? null
            : reader.ValueTextEquals("enforce"u8) ? "enforce"
            : reader.ValueTextEquals("shadow"u8) ? "shadow"
            : null;
        return value is not null || TryReadString(ref reader, out value);
    }

    private static bool TryReadInt64(ref Utf8JsonReader reader, out long? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        // A number the serializer would refuse as a long (a fraction, too large) or a quoted number: its call.
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long number))
        {
            return false;
        }

        value = number;
        return true;
    }
}
