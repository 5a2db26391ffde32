from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    pass


class Domain(DomainMixin):
    pass
