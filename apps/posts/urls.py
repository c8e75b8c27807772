"""Routes for /api/v1/posts/."""

from rest_framework.routers import SimpleRouter

from apps.posts import views

router = SimpleRouter()
router.register("posts", views.PostViewSet, basename="post")

urlpatterns = router.urls
