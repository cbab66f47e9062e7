/* wordfreq: counts the words read from stdin and prints the most frequent
 * ones. A small C program for imgdiff's end-to-end tests. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
	char *text;
	long count;
};

static struct word *words;
static size_t nwords, capwords;

static void add(const char *w)
{
	for (size_t i = 0; i < nwords; i++) {
		if (strcmp(words[i].text, w) == 0) {
			words[i].count++;
			return;
		}
	}
	if (nwords == capwords) {
		capwords = capwords ? 2 * capwords : 64;
		words = realloc(words, capwords * sizeof *words);
		if (!words) {
			perror("wordfreq");
			exit(2);
		}
	}
	words[nwords].text = strdup(w);
	words[nwords].count = 1;
	nwords++;
}

static int bycount(const void *a, const void *b)
{
	const struct word *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->text, y->text);
}

int main(int argc, char **argv)
{
	int top = argc > 1 ? atoi(argv[1]) : 10;
	char buf[256];
	size_t n = 0;
	int c;

	while ((c = getchar()) != EOF) {
		if (isalnum(c) && n < sizeof buf - 1) {
			buf[n++] = (char)tolower(c);
		} else if (n > 0) {
			buf[n] = '\0';
			add(buf);
			n = 0;
		}
	}
	if (n > 0) {
		buf[n] = '\0';
		add(buf);
	}
	qsort(words, nwords, sizeof *words, bycount);
	for (size_t i = 0; i < nwords && (int)i < top; i++)
		printf("%7ld %s\n", words[i].count, words[i].text);
	return 0;
}
