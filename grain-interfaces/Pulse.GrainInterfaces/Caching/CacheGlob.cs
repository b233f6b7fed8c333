namespace Pulse.GrainInterfaces.Caching;

/// <summary>
/// Redis-style glob patterns over cache keys: <c>*</c> any run of characters, <c>?</c> one character,
/// <c>[abc]</c>, <c>[a-z]</c> and <c>[^a]</c> (or <c>[!a]</c>) character classes, and <c>\</c> to take the
/// next character literally. Matching is ordinal and case-sensitive, over UTF-16 characters.
/// </summary>
public static class CacheGlob
{
    /// <summary>Longest pattern accepted, in characters.</summary>
    public const int MaxPatternLength = 1024;

    /// <summary>Checks a pattern: not empty, not too long, every class closed, no dangling escape.</summary>
    /// <returns>Null when valid, otherwise why not.</returns>
    public static string? Validate(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return "The pattern must not be empty.";
        }

        if (pattern.Length > MaxPatternLength)
        {
            return $"The pattern must be at most {MaxPatternLength} characters.";
        }

        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\')
            {
                if (i + 1 >= pattern.Length)
                {
                    return "The pattern ends with an escape character '\\'.";
                }

                i++;
            }
            else if (c == '[')
            {
                int end = FindClassEnd(pattern, i);
                if (end < 0)
                {
                    return $"The character class opened at position {i} is not closed with ']'.";
                }

                i = end;
            }
        }

        return null;
    }

    /// <summary>Whether the pattern holds no wildcard, so it names exactly one key (after unescaping).</summary>
    public static bool IsLiteral(string pattern) => pattern.IndexOfAny(['*', '?', '[', '\\']) < 0;

    /// <summary>Matches <paramref name="text"/> against a pattern that <see cref="Validate"/> accepted.</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        // Iterative matching with one backtrack point per '*': linear in practice, never exponential.
        int p = 0, t = 0;
        int starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length)
            {
                char c = pattern[p];
                if (c == '*')
                {
                    starP = ++p;
                    starT = t;
                    continue;
                }

                if (c == '?')
                {
                    p++;
                    t++;
                    continue;
                }

                if (c == '[')
                {
                    int end = FindClassEnd(pattern, p);
                    if (end > 0 && ClassMatches(pattern[(p + 1)..end], text[t]))
                    {
                        p = end + 1;
                        t++;
                        continue;
                    }
                }
                else
                {
                    if (c == '\\' && p + 1 < pattern.Length)
                    {
                        c = pattern[p + 1];
                        if (c == text[t])
                        {
                            p += 2;
                            t++;
                            continue;
                        }
                    }
                    else if (c == text[t])
                    {
                        p++;
                        t++;
                        continue;
                    }
                }
            }

            if (starP < 0)
            {
                return false;
            }

            // Let the last '*' swallow one more character and retry from there.
            p = starP;
            t = ++starT;
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    // The index of the ']' closing the class opened at 'open', or -1. A ']' right after '[' or '[^' is a member.
    private static int FindClassEnd(ReadOnlySpan<char> pattern, int open)
    {
        int i = open + 1;
        if (i < pattern.Length && (pattern[i] == '^' || pattern[i] == '!'))
        {
            i++;
        }

        if (i < pattern.Length && pattern[i] == ']')
        {
            i++;
        }

        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
            {
                i++;
            }
            else if (pattern[i] == ']')
            {
                return i;
            }
        }

        return -1;
    }

    private static bool ClassMatches(ReadOnlySpan<char> body, char c)
    {
        bool negate = body.Length > 0 && (body[0] == '^' || body[0] == '!');
        int i = negate ? 1 : 0;
        bool match = false;
        while (i < body.Length)
        {
            char low = body[i];
            if (low == '\\' && i + 1 < body.Length)
            {
                low = body[++i];
            }

            if (i + 2 < body.Length && body[i + 1] == '-')
            {
                char high = body[i + 2];
                if (high == '\\' && i + 3 < body.Length)
                {
                    high = body[i + 3];
                    i++;
                }

                if (low > high)
                {
                    (low, high) = (high, low);
                }

                match |= c >= low && c <= high;
                i += 3;
            }
            else
            {
                match |= c == low;
                i++;
            }
        }

        return match != negate;
    }
}
