/* Images for services and for the job builder: use a current one, else
 * build it (its build context hashed into io.labctl.build-hash) or pull it.
 * Progress is reported through a callback; nothing here prints. */
#ifndef LAB_IMAGE_H
#define LAB_IMAGE_H

#include "../engine/engine.h"
#include "../util/buf.h"
#include "../util/err.h"

/* What happens to an image, in order: BUILDING or PULLING once, PROGRESS
 * any number of times, then READY or FAILED once. An image already current
 * reports nothing. */
enum lab_image_phase {
	LAB_IMAGE_BUILDING, /* a build starts: name, context, why */
	LAB_IMAGE_PULLING,  /* a pull starts: name */
	LAB_IMAGE_PROGRESS, /* one line of the engine's build or pull output: line, final */
	LAB_IMAGE_READY,    /* built or pulled: name, elapsed_ms */
	LAB_IMAGE_FAILED,   /* the build or pull failed; its error is what lab_image_ensure returns */
};

/* Why an image is built. */
enum lab_image_why {
	LAB_IMAGE_ABSENT,  /* no image with that name */
	LAB_IMAGE_FORCED,  /* req->force (up --build) */
	LAB_IMAGE_CHANGED, /* its io.labctl.build-hash differs: the context or build args changed */
};

struct lab_image_event {
	enum lab_image_phase phase;
	const char *name;       /* the image's tag, e.g. "labctl/postgres:15" */
	const char *context;    /* BUILDING: the build context directory */
	enum lab_image_why why; /* BUILDING */
	const char *line;       /* PROGRESS: human-readable ("Step 2/7 : RUN ...",
	                           "abc123: Downloading 12.3MB/40MB") */
	int final;              /* PROGRESS: as lab_progress_fn's final: 1 for steps,
	                           completed layers and errors, 0 for intermediate
	                           progress a terminal may overwrite */
	long elapsed_ms;        /* READY, FAILED: since the build or pull began */
};

typedef void (*lab_image_progress_fn)(const struct lab_image_event *ev, void *ud);

/* How an image is built here: for an image a Dockerfile is FROM (see
 * lab_image_ensure). */
struct lab_image_source {
	const char *name;            /* tag, e.g. "labctl/spark:4.2.0" */
	const char *context;         /* build context directory */
	const char *dockerfile;      /* relative to context; NULL = "Dockerfile" */
	const struct lab_strv *args; /* may be NULL */
	const char *target;          /* may be NULL */
};

/* An image a service or the job builder needs. */
struct lab_image_req {
	const char *name;             /* tag, e.g. "labctl/postgres:15" */
	const char *context;          /* build context directory, or NULL to pull */
	const char *dockerfile;       /* relative to context; NULL = "Dockerfile" */
	const struct lab_strv *args;  /* build args "KEY=VALUE", may be NULL */
	const char *target;           /* may be NULL */
	const char *project;          /* lab the image is labelled with (io.labctl.built-by) */
	int force;                    /* build even when current (up --build,
	                                 pull_policy: build) */
	const struct lab_strv *labels; /* build.labels "KEY=VALUE" for the built image;
	                                 part of the build hash; may be NULL */
	/* Compose's pull_policy for an image that is not built: missing (pull
	 * when absent), always (pull every time), never (absent is an error). */
	enum { LAB_IMAGE_PULL_MISSING = 0, LAB_IMAGE_PULL_ALWAYS, LAB_IMAGE_PULL_NEVER } pull;
	lab_image_progress_fn progress; /* may be NULL; called on the calling thread */
	void *progress_ud;
	const struct lab_image_source *sources; /* the builds the lab knows (its services'), for
	                                           the images its Dockerfiles are FROM; may be NULL */
	size_t n_sources;
};

/* Ensure req's image. With a context, the images its Dockerfile is FROM
 * (lab_dockerfile_bases) that are built here come first, each ensured the
 * same way: one of req->sources of that name, else, for an image named
 * labctl/NAME:TAG, the directory NAME beside the context when it has a
 * Dockerfile (images/kafka is FROM labctl/jre:17: images/jre). Other bases
 * are left to the engine (present, or pulled by the build). A cycle of
 * such bases is LAB_EINPUT.
 * The image is current when its io.labctl.build-hash label equals the
 * hash of the context's content, the Dockerfile's name, the target, the
 * build args (EXTRA_CA_CERTS aside) and the build hashes of its bases built
 * here (a rebuilt base rebuilds what is FROM it); else it is built, with the build argument EXTRA_CA_CERTS added from the
 * host's extra CA certificates ($LABCTL_BUILD_CA_CERTS, a file or a
 * directory of .crt/.pem, else /usr/local/share/ca-certificates, Debian's
 * place for them) so builds behind a TLS-intercepting proxy download.
 * Without a context, an existing image is used, else pulled.
 * Thread-safe with one engine handle per thread: calls for the same image
 * name take turns (a second finds it current, and with force it is not
 * built twice by one process).
 * *id_out gets the image id ("sha256:...", caller frees).
 * Errors: as lab_engine_image_build / _pull / _image_id and lab_context_hash. */
int lab_image_ensure(char **id_out, struct lab_engine *e, const struct lab_image_req *req, struct lab_err *err);

/* The images built here that src's Dockerfile is FROM, and theirs in
 * turn, by lab_image_ensure's rule (one of known of that name, else
 * labctl/NAME beside the context), each once, a base before an image FROM
 * it; those already in names are skipped. Appended to names and contexts
 * (the build context of each; a base found in known has its dockerfile,
 * args and target there). No engine is asked; a Dockerfile that cannot be
 * read has no bases. For labctl export compose, whose file must build
 * them first. */
void lab_image_local_bases(struct lab_strv *names, struct lab_strv *contexts, const struct lab_image_source *src,
			   const struct lab_image_source *known, size_t n_known);

/* The images src's Dockerfile is FROM that are not built here (by
 * lab_image_ensure's rule: none of known of that name, not labctl/NAME
 * beside the context), and those of its bases built here in turn, each
 * once, in order of first appearance; appended to out (those already in
 * out are skipped). Stage names and "scratch" are not images
 * (lab_dockerfile_bases). No engine is asked; a Dockerfile that cannot be
 * read has none. For up --offline, which must have them before a build
 * asks the engine to pull them. */
void lab_image_external_bases(struct lab_strv *out, const struct lab_image_source *src,
			      const struct lab_image_source *known, size_t n_known);

/* A stand-in image on the engine (one with the io.labctl.stand-in-for
 * label, labctl/image/catalog.h). */
struct lab_standin_image {
	char *tag;       /* its first repository tag, "<none>" when it has none (a stand-in
	                    built again since: the tag moved to the new one) */
	char *stands_in; /* io.labctl.stand-in-for: the reference it was built for */
	char *entry;     /* io.labctl.stand-in: the catalog entry, or "?" */
	char *id;        /* "sha256:..." */
	long long size;  /* bytes (the engine's Size) */
	long long created; /* Unix seconds */
};

/* Every stand-in image on e: GET /images/json?filters={"label":
 * ["io.labctl.stand-in-for"]} (Engine API 1.41), sorted by tag. *out
 * (free with lab_standin_images_free) and *n. Errors: the engine's. */
int lab_image_standins(struct lab_standin_image **out, size_t *n, struct lab_engine *e, struct lab_err *err);
void lab_standin_images_free(struct lab_standin_image *v, size_t n);

/* Why a pull failed, told from the engine's message (its own, or the
 * registry's it passes on: Docker Engine 20.10 and later, registries of
 * the OCI Distribution API). Checked in this order, first match wins. */
enum lab_pull_problem {
	LAB_PULL_OTHER = 0,     /* none of the below */
	LAB_PULL_BAD_NAME,      /* "invalid reference format": not an image name */
	LAB_PULL_NO_REGISTRY,   /* the registry did not answer: "dial tcp", "no such
	                           host", "connection refused", "i/o timeout",
	                           "network is unreachable", a TLS or deadline timeout */
	LAB_PULL_RATE_LIMITED,  /* "toomanyrequests", "rate limit": Docker Hub's limit on
	                           anonymous pulls per address (a classroom behind one NAT) */
	LAB_PULL_DENIED,        /* "pull access denied": Docker Hub says this both for
	                           a repository that does not exist and for a private one */
	LAB_PULL_AUTH,          /* "unauthorized", "authentication required", "no basic
	                           auth credentials" */
	LAB_PULL_NO_SUCH_IMAGE, /* "manifest unknown", "not found", "name unknown" */
};

/* The problem msg (a pull's error message) names. */
enum lab_pull_problem lab_image_pull_problem(const char *msg);

/* p in plain words, then what to do, e.g. "no registry reachable: build it
 * here (give the service a build:), ..." (static string). */
const char *lab_image_pull_advice(enum lab_pull_problem p);

#endif
