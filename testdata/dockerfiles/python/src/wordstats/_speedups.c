/* wordstats._speedups: count_words(text) -> {word: count}, words being runs
 * of alphanumeric characters, lower-cased. A C extension, so that building
 * the app needs gcc and the Python headers (python3-dev). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *count_words(PyObject *self, PyObject *args)
{
	PyObject *text, *lower, *counts, *word, *old, *next;
	Py_ssize_t n, i, start = -1;
	int kind;
	const void *data;

	(void)self;
	if (!PyArg_ParseTuple(args, "U", &text))
		return NULL;
	lower = PyObject_CallMethod(text, "lower", NULL);
	if (!lower)
		return NULL;
	counts = PyDict_New();
	if (!counts)
		goto fail;
	n = PyUnicode_GET_LENGTH(lower);
	kind = PyUnicode_KIND(lower);
	data = PyUnicode_DATA(lower);
	for (i = 0; i <= n; i++) {
		int alnum = i < n && Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i));
		if (alnum && start < 0)
			start = i;
		if (alnum || start < 0)
			continue;
		word = PyUnicode_Substring(lower, start, i);
		start = -1;
		if (!word)
			goto fail;
		old = PyDict_GetItemWithError(counts, word);
		if (!old && PyErr_Occurred()) {
			Py_DECREF(word);
			goto fail;
		}
		next = PyLong_FromLong(old ? PyLong_AsLong(old) + 1 : 1);
		if (!next || PyDict_SetItem(counts, word, next) < 0) {
			Py_XDECREF(next);
			Py_DECREF(word);
			goto fail;
		}
		Py_DECREF(next);
		Py_DECREF(word);
	}
	Py_DECREF(lower);
	return counts;
fail:
	Py_XDECREF(counts);
	Py_DECREF(lower);
	return NULL;
}

static PyMethodDef methods[] = {
	{"count_words", count_words, METH_VARARGS, "Count the words of a string."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void)
{
	return PyModule_Create(&module);
}
