// WordFreq counts the words read from stdin and prints the most frequent
// ones. A small Java program for imgdiff's end-to-end tests.
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public final class Main {
    private Main() {}

    /** Counts the words (runs of letters and digits, lower-cased) of text. */
    static Map<String, Integer> count(String text) {
        Map<String, Integer> counts = new HashMap<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                counts.merge(w, 1, Integer::sum);
            }
        }
        return counts;
    }

    /** The n most frequent words, most frequent first, ties by word. */
    static List<Map.Entry<String, Integer>> top(Map<String, Integer> counts, int n) {
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
        entries.sort((a, b) -> a.getValue().equals(b.getValue())
                ? a.getKey().compareTo(b.getKey())
                : b.getValue() - a.getValue());
        return entries.subList(0, Math.min(n, entries.size()));
    }

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        StringBuilder text = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                text.append(line).append('\n');
            }
        }
        for (Map.Entry<String, Integer> e : top(count(text.toString()), n)) {
            System.out.printf("%7d %s%n", e.getValue(), e.getKey());
        }
    }
}
