/* SPDX-License-Identifier: MIT */
/* The download queue: a list model that starts downloads as slots free up. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-queue.h"

struct _BendiHubDownloadQueue
{
  GObject         parent_instance;

  BendiHubClient *client;
  GPtrArray      *downloads;     /* BendiHubDownload, in the order added */
  GQueue          waiting;       /* BendiHubDownload, not owned */
  guint           n_running;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BendiHubDownloadQueue, bendi_hub_download_queue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model G_GNUC_UNUSED)
{
  return BENDI_HUB_TYPE_DOWNLOAD;
}

static guint
get_n_items (GListModel *model)
{
  return BENDI_HUB_DOWNLOAD_QUEUE (model)->downloads->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  BendiHubDownloadQueue *self = BENDI_HUB_DOWNLOAD_QUEUE (model);

  if (position >= self->downloads->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->downloads, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void start_next (BendiHubDownloadQueue *self);

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr (BendiHubDownloadQueue) self = user_data;
  g_autoptr (GError) error = NULL;

  /* The download's own state and error say how it went. */
  g_free (bendi_hub_download_run_finish (BENDI_HUB_DOWNLOAD (object), result, &error));
  self->n_running--;
  start_next (self);
}

static void
start_next (BendiHubDownloadQueue *self)
{
  guint max = bendi_hub_config_get_max_parallel_downloads (bendi_hub_client_get_config (self->client));

  while (self->n_running < max && !g_queue_is_empty (&self->waiting))
    {
      BendiHubDownload *download = g_queue_pop_head (&self->waiting);

      self->n_running++;
      bendi_hub_download_run_async (download, NULL, run_cb, g_object_ref (self));
    }
}

static void
bendi_hub_download_queue_dispose (GObject *object)
{
  BendiHubDownloadQueue *self = (BendiHubDownloadQueue *) object;

  g_queue_clear (&self->waiting);
  g_clear_pointer (&self->downloads, g_ptr_array_unref);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (bendi_hub_download_queue_parent_class)->dispose (object);
}

static void
bendi_hub_download_queue_class_init (BendiHubDownloadQueueClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bendi_hub_download_queue_dispose;
}

static void
bendi_hub_download_queue_init (BendiHubDownloadQueue *self)
{
  self->downloads = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->waiting);
}

BendiHubDownloadQueue *
bendi_hub_download_queue_new (BendiHubClient *client)
{
  BendiHubDownloadQueue *self;

  g_return_val_if_fail (BENDI_HUB_IS_CLIENT (client), NULL);

  self = g_object_new (BENDI_HUB_TYPE_DOWNLOAD_QUEUE, NULL);
  self->client = g_object_ref (client);
  return self;
}

BendiHubDownload *
bendi_hub_download_queue_add (BendiHubDownloadQueue *self,
                              const char            *repo_id,
                              const BendiHubFile    *file)
{
  BendiHubDownload *download;

  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD_QUEUE (self), NULL);
  g_return_val_if_fail (repo_id != NULL && file != NULL, NULL);

  for (guint i = 0; i < self->downloads->len; i++)
    {
      download = g_ptr_array_index (self->downloads, i);
      if (g_strcmp0 (bendi_hub_download_get_repo_id (download), repo_id) == 0 &&
          g_strcmp0 (bendi_hub_download_get_file (download)->path, file->path) == 0)
        {
          BendiHubDownloadState state = bendi_hub_download_get_state (download);

          if (state == BENDI_HUB_DOWNLOAD_PAUSED || state == BENDI_HUB_DOWNLOAD_FAILED ||
              state == BENDI_HUB_DOWNLOAD_CANCELLED)
            bendi_hub_download_queue_resume (self, download);
          return download;
        }
    }

  download = bendi_hub_download_new (self->client, repo_id, NULL, file);
  g_ptr_array_add (self->downloads, download);
  g_list_model_items_changed (G_LIST_MODEL (self), self->downloads->len - 1, 0, 1);
  g_queue_push_tail (&self->waiting, download);
  start_next (self);
  return download;
}

void
bendi_hub_download_queue_resume (BendiHubDownloadQueue *self,
                                 BendiHubDownload      *download)
{
  BendiHubDownloadState state;

  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD_QUEUE (self));
  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD (download));

  state = bendi_hub_download_get_state (download);
  if (state != BENDI_HUB_DOWNLOAD_PAUSED && state != BENDI_HUB_DOWNLOAD_FAILED &&
      state != BENDI_HUB_DOWNLOAD_CANCELLED)
    return;
  if (g_queue_find (&self->waiting, download) == NULL)
    g_queue_push_tail (&self->waiting, download);
  start_next (self);
}

void
bendi_hub_download_queue_remove (BendiHubDownloadQueue *self,
                                 BendiHubDownload      *download)
{
  guint position;
  BendiHubDownloadState state;

  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD_QUEUE (self));

  state = bendi_hub_download_get_state (download);
  if (state == BENDI_HUB_DOWNLOAD_RUNNING || state == BENDI_HUB_DOWNLOAD_VERIFYING ||
      state == BENDI_HUB_DOWNLOAD_WAITING)
    return;
  g_queue_remove (&self->waiting, download);
  if (g_ptr_array_find (self->downloads, download, &position))
    {
      g_ptr_array_remove_index (self->downloads, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
    }
}

guint
bendi_hub_download_queue_get_n_running (BendiHubDownloadQueue *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD_QUEUE (self), 0);
  return self->n_running;
}
