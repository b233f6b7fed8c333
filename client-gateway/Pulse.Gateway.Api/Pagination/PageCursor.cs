using System.Buffers.Text;
using System.Text;

namespace Pulse.Gateway.Api.Pagination;

/// <summary>
/// Opaque cursors: a list's position (whatever string the list needs, e.g. a sequence number) wrapped
/// in a version tag and base64url, so clients cannot build one by hand and the format can change.
/// </summary>
public static class PageCursor
{
    private const string Version = "c1:";

    /// <summary>Longest position a cursor carries.</summary>
    public const int MaxPositionLength = 512;

    /// <summary>Wraps a position into a cursor.</summary>
    public static string Encode(string position)
    {
        ArgumentNullException.ThrowIfNull(position);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Version + position));
    }

    /// <summary>Unwraps a cursor this API issued; false for anything else.</summary>
    public static bool TryDecode(string? cursor, out string position)
    {
        position = string.Empty;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > ((MaxPositionLength + Version.Length) * 4 / 3) + 4)
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (ArgumentException)
        {
            return false;
        }

        if (!text.StartsWith(Version, StringComparison.Ordinal))
        {
            return false;
        }

        position = text[Version.Length..];
        return true;
    }

    /// <summary>A cursor holding a non-negative number (a sequence number or an offset).</summary>
    public static string EncodeNumber(long position) => Encode(position.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Unwraps a cursor holding a non-negative number.</summary>
    public static bool TryDecodeNumber(string? cursor, out long position)
    {
        position = 0;
        return TryDecode(cursor, out string text)
            && long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out position);
    }
}
