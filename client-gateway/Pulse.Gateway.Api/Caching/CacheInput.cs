using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Caching;

namespace Pulse.Gateway.Api.Caching;

/// <summary>
/// Validates the cache API's inputs and turns them into grain messages. Every check reports the field at
/// fault by its wire name (<c>ttl</c>, <c>entries[3].tags</c>, <c>If-Match</c>) into a <see cref="ValidationErrors"/>,
/// so one 400 lists every bad field. Query and JSON bodies share the same rules.
/// </summary>
internal static class CacheInput
{
    /// <summary>Longest <c>Lease-Token</c> accepted; the grains' tokens are far shorter.</summary>
    public const int MaxLeaseTokenLength = 256;

    /// <summary>Deepest nesting of a value, the JSON reader's default.</summary>
    public const int MaxValueDepth = 64;

    private static readonly JsonReaderOptions ValueReaderOptions = new() { MaxDepth = MaxValueDepth };

    /// <summary>The key, or an error on <paramref name="field"/>.</summary>
    public static string? Key(string field, string? key, ValidationErrors errors)
    {
        if (CacheLimits.ValidateKey(key) is { } error)
        {
            errors.Add(field, Phrase(error));
            return null;
        }

        return key;
    }

    /// <summary>Reads one query parameter that may be given at most once; null when absent.</summary>
    public static string? Single(IQueryCollection query, string name, ValidationErrors errors)
    {
        StringValues values = query[name];
        if (values.Count > 1)
        {
            errors.Add(name, "must be given once");
            return null;
        }

        return values.Count == 1 ? values[0] ?? string.Empty : null;
    }

    /// <summary>A time to live: 1 ms to 365 days.</summary>
    public static long? Ttl(string field, string text, ValidationErrors errors)
    {
        if (!CacheDuration.TryParse(text, out long ms, out string? error))
        {
            errors.Add(field, error);
            return null;
        }

        if (ms < 1 || ms > CacheLimits.MaxTtlMs)
        {
            errors.Add(field, ms < 1
                ? "must be more than 0 (omit it for an entry that does not expire)"
                : $"must be at most 365 days ({CacheLimits.MaxTtlMs / 1000} seconds)");
            return null;
        }

        return ms;
    }

    /// <summary>A stale grace: 0 to 7 days.</summary>
    public static long? Stale(string field, string text, ValidationErrors errors)
    {
        if (!CacheDuration.TryParse(text, out long ms, out string? error))
        {
            errors.Add(field, error);
            return null;
        }

        if (ms > CacheLimits.MaxStaleMs)
        {
            errors.Add(field, $"must be at most 7 days ({CacheLimits.MaxStaleMs / 1000} seconds)");
            return null;
        }

        return ms;
    }

    /// <summary>A duration from JSON: a number of seconds, or a string of seconds or ISO 8601; null when absent or JSON null.</summary>
    public static long? JsonDuration(string field, JsonElement element, bool stale, ValidationErrors errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            case JsonValueKind.Number:
                // The raw text, so 1.5 stays exact; an exponent (1e3) is refused like any non-plain number.
                return stale ? Stale(field, element.GetRawText(), errors) : Ttl(field, element.GetRawText(), errors);
            case JsonValueKind.String:
                return stale ? Stale(field, element.GetString()!, errors) : Ttl(field, element.GetString()!, errors);
            default:
                errors.Add(field, "must be a number of seconds or a string (seconds or an ISO 8601 duration such as \"PT5M\")");
                return null;
        }
    }

    /// <summary>Reads <c>low</c>, <c>normal</c>, <c>high</c> or <c>never_remove</c>.</summary>
    public static CachePriority? Priority(string field, string text, ValidationErrors errors)
    {
        switch (text)
        {
            case "low":
                return CachePriority.Low;
            case "normal":
                return CachePriority.Normal;
            case "high":
                return CachePriority.High;
            case "never_remove":
                return CachePriority.NeverRemove;
            default:
                errors.Add(field, $"must be low, normal, high or never_remove; got '{text}'");
                return null;
        }
    }

    /// <summary>A priority's wire name.</summary>
    public static string ToWireName(CachePriority priority) => priority switch
    {
        CachePriority.Low => "low",
        CachePriority.High => "high",
        CachePriority.NeverRemove => "never_remove",
        _ => "normal",
    };

    /// <summary>Reads <c>true</c> or <c>false</c> (any case).</summary>
    public static bool? Boolean(string field, string text, ValidationErrors errors)
    {
        if (bool.TryParse(text, out bool value) && text.Trim().Length == text.Length)
        {
            return value;
        }

        errors.Add(field, $"must be true or false; got '{text}'");
        return null;
    }

    /// <summary>
    /// Splits comma-separated tags into <paramref name="tags"/> (spaces around each tag are dropped), checking
    /// each with <see cref="CacheLimits.ValidateTag"/>. Returns false after recording the first bad one.
    /// </summary>
    public static bool AddTagList(string field, string list, List<string> tags, ValidationErrors errors)
    {
        foreach (string part in list.Split(','))
        {
            if (!AddTag(field, part.Trim(), tags, errors))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Tags from JSON: an array of strings or one comma-separated string; null when absent or JSON null.</summary>
    public static string[]? JsonTags(string field, JsonElement element, ValidationErrors errors)
    {
        var tags = new List<string>();
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return AddTagList(field, element.GetString()!, tags, errors) ? DistinctTags(field, tags, errors) : null;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        errors.Add($"{field}[{i}]", "must be a string");
                        return null;
                    }

                    if (!AddTag($"{field}[{i}]", item.GetString()!, tags, errors))
                    {
                        return null;
                    }

                    i++;
                }

                return DistinctTags(field, tags, errors);
            default:
                errors.Add(field, "must be an array of strings or a comma-separated string");
                return null;
        }
    }

    /// <summary>The tags without repeats, in first-seen order, or an error when there are more than 32.</summary>
    public static string[]? DistinctTags(string field, List<string> tags, ValidationErrors errors)
    {
        var seen = new HashSet<string>(tags.Count, StringComparer.Ordinal);
        var distinct = new List<string>(tags.Count);
        foreach (string tag in tags)
        {
            if (seen.Add(tag))
            {
                distinct.Add(tag);
            }
        }

        if (distinct.Count > CacheLimits.MaxTags)
        {
            errors.Add(field, $"must hold at most {CacheLimits.MaxTags} distinct tags; got {distinct.Count}");
            return null;
        }

        return [.. distinct];
    }

    /// <summary>
    /// The entry options of a <c>PUT</c> from its query: <c>ttl</c>, <c>sliding</c>, <c>priority</c>,
    /// <c>tags</c> (repeatable, comma-separated), <c>durable</c>, <c>stale</c>.
    /// </summary>
    public static CacheEntryOptions? FromQuery(IQueryCollection query, ValidationErrors errors)
    {
        int before = errors.Count;
        long? ttl = Single(query, "ttl", errors) is { } ttlText ? Ttl("ttl", ttlText, errors) : null;
        bool? sliding = Single(query, "sliding", errors) is { } slidingText ? Boolean("sliding", slidingText, errors) : null;
        CachePriority? priority = Single(query, "priority", errors) is { } priorityText ? Priority("priority", priorityText, errors) : null;
        bool? durable = Single(query, "durable", errors) is { } durableText ? Boolean("durable", durableText, errors) : null;
        long? stale = Single(query, "stale", errors) is { } staleText ? Stale("stale", staleText, errors) : null;
        string[]? tags = null;
        StringValues tagValues = query["tags"];
        if (tagValues.Count > 0)
        {
            var list = new List<string>();
            bool valid = true;
            foreach (string? value in tagValues)
            {
                valid = valid && AddTagList("tags", value ?? string.Empty, list, errors);
            }

            tags = valid ? DistinctTags("tags", list, errors) : null;
        }

        return Build(string.Empty, ttl, sliding, priority, tags, durable, stale, errors.Count > before, errors);
    }

    /// <summary>The entry options of one mset entry; fields are named <c>entries[i].ttl</c> and so on.</summary>
    public static CacheEntryOptions? FromJson(string prefix, CacheMsetEntry entry, ValidationErrors errors)
    {
        int before = errors.Count;
        long? ttl = JsonDuration(prefix + "ttl", entry.Ttl, stale: false, errors);
        long? stale = JsonDuration(prefix + "stale", entry.Stale, stale: true, errors);
        CachePriority? priority = entry.Priority is null ? null : Priority(prefix + "priority", entry.Priority, errors);
        string[]? tags = JsonTags(prefix + "tags", entry.Tags, errors);
        return Build(prefix, ttl, entry.Sliding, priority, tags, entry.Durable, stale, errors.Count > before, errors);
    }

    /// <summary>
    /// Checks that the value is exactly one JSON value (whitespace around it allowed) in valid UTF-8,
    /// nested at most <see cref="MaxValueDepth"/> deep. Returns null when it is, otherwise why not.
    /// </summary>
    public static string? ValidateValue(ReadOnlySpan<byte> utf8)
    {
        // The reader checks UTF-8 only where it unescapes strings; values are served verbatim, so check it all.
        if (!Utf8.IsValid(utf8))
        {
            return "it is not valid UTF-8";
        }

        var reader = new Utf8JsonReader(utf8, ValueReaderOptions);
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException exception)
        {
            string reason = exception.Message;
            int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            return (cut > 0 ? reason[..cut] : reason).TrimEnd('.', ' ');
        }

        return null;
    }

    /// <summary>A validation message of the grain contracts ("The key must ...") as a field message.</summary>
    public static string Phrase(string message) => message.TrimEnd('.');

    private static bool AddTag(string field, string tag, List<string> tags, ValidationErrors errors)
    {
        if (CacheLimits.ValidateTag(tag) is { } error)
        {
            errors.Add(field, Phrase(error));
            return false;
        }

        tags.Add(tag);
        return true;
    }

    // Cross-field rules, checked only when the fields themselves were valid (failed: an earlier error).
    private static CacheEntryOptions? Build(
        string prefix, long? ttl, bool? sliding, CachePriority? priority, string[]? tags, bool? durable, long? stale, bool failed, ValidationErrors errors)
    {
        if (failed)
        {
            return null;
        }

        bool valid = true;
        if (sliding == true && ttl is null)
        {
            errors.Add(prefix + "sliding", "needs a ttl: a sliding expiry restarts the time to live on every read");
            valid = false;
        }

        if (stale is > 0 && ttl is null)
        {
            errors.Add(prefix + "stale", "needs a ttl: it is a grace period after expiry");
            valid = false;
        }

        return valid
            ? new CacheEntryOptions(ttl ?? 0, sliding ?? false, priority ?? CachePriority.Normal, tags ?? [], durable ?? false, stale ?? 0)
            : null;
    }
}
