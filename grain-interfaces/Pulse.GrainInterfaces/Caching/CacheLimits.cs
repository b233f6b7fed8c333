using System.Text;

namespace Pulse.GrainInterfaces.Caching;

/// <summary>The fixed input limits of the cache, checked by the gateway and relied on by the grains.</summary>
public static class CacheLimits
{
    /// <summary>Longest cache key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>Most tags on one entry.</summary>
    public const int MaxTags = 32;

    /// <summary>Longest tag, in UTF-8 bytes.</summary>
    public const int MaxTagBytes = 128;

    /// <summary>Longest time to live: 365 days.</summary>
    public const long MaxTtlMs = 365L * 24 * 3600 * 1000;

    /// <summary>Longest stale grace: 7 days.</summary>
    public const long MaxStaleMs = 7L * 24 * 3600 * 1000;

    /// <summary>Most keys in one mget or mset.</summary>
    public const int MaxBatchKeys = 1000;

    /// <summary>Checks a cache key: 1..<see cref="MaxKeyBytes"/> UTF-8 bytes, no control characters.</summary>
    /// <returns>Null when valid, otherwise why not.</returns>
    public static string? ValidateKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "The key must not be empty.";
        }

        if (key.Length > MaxKeyBytes || Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            return $"The key must be at most {MaxKeyBytes} UTF-8 bytes.";
        }

        foreach (char c in key)
        {
            if (char.IsControl(c))
            {
                return "The key must not contain control characters.";
            }
        }

        return null;
    }

    /// <summary>Checks a tag: 1..<see cref="MaxTagBytes"/> UTF-8 bytes, no comma or control characters.</summary>
    /// <returns>Null when valid, otherwise why not.</returns>
    public static string? ValidateTag(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
        {
            return "Tags must not be empty.";
        }

        if (Encoding.UTF8.GetByteCount(tag) > MaxTagBytes)
        {
            return $"Each tag must be at most {MaxTagBytes} UTF-8 bytes.";
        }

        foreach (char c in tag)
        {
            if (c == ',' || char.IsControl(c))
            {
                return "Tags must not contain commas or control characters.";
            }
        }

        return null;
    }

    /// <summary>Bytes an entry is charged against its tenant's quota: key, value and tags (UTF-8).</summary>
    public static long ChargedBytes(string key, int valueBytes, string[] tags)
    {
        long size = Encoding.UTF8.GetByteCount(key) + (long)valueBytes;
        foreach (string tag in tags)
        {
            size += Encoding.UTF8.GetByteCount(tag);
        }

        return size;
    }
}
